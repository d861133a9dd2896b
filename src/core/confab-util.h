#pragma once

#include <glib.h>

G_BEGIN_DECLS

char     *confab_new_id              (void);
char     *confab_now_iso8601         (void);
char     *confab_date_time_to_iso8601 (GDateTime *dt);
gboolean  confab_email_is_valid      (const char *email);
gboolean  confab_str_equal0          (const char *a,
                                      const char *b);
gboolean  confab_str_in              (const char         *value,
                                      const char * const *allowed);
gboolean  confab_check_text          (const char  *field_label,
                                      const char  *value,
                                      glong        min_chars,
                                      glong        max_chars,
                                      GError     **error);
gboolean  confab_check_enum          (const char         *field_label,
                                      const char         *value,
                                      const char * const *allowed,
                                      GError            **error);

G_END_DECLS
