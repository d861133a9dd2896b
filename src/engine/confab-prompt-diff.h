#pragma once

#include <glib.h>

#include "confab-database.h"
#include "confab-prompt-version.h"

G_BEGIN_DECLS

/* What changed between two prompt texts, or two versions of a prompt.
 *
 * The texts are compared line by line (Myers' algorithm, so the result is a
 * shortest edit). Every line of both texts is in the list, in reading
 * order: equal lines once, then where the texts differ the removed lines
 * followed by the added ones. Inside a block of changes the n-th removed
 * line is paired with the n-th added line; when the two share at least one
 * word, the words (runs of letters and digits, single other characters and
 * runs of spaces) that differ are marked as spans, otherwise the whole
 * lines count as changed and have no spans. A line break is not part of
 * a line's text; the last line of a text that does not end with a line
 * break has no_newline set, and differs from the same line with one.
 *
 * Hunks group the changes with `context` equal lines around them, as a
 * unified diff does; a GUI showing both texts whole can use the lines
 * directly. For two versions, the model settings that differ (provider,
 * model, temperature, max tokens) come as a list of field, old and new
 * value. Nothing here touches the database except to name providers. */

typedef enum
{
  CONFAB_DIFF_EQUAL,
  CONFAB_DIFF_REMOVED,
  CONFAB_DIFF_ADDED,
} ConfabDiffKind;

/* Bytes of a line's text. */
typedef struct
{
  guint start;
  guint length;
} ConfabDiffSpan;

typedef struct
{
  ConfabDiffKind        kind;
  const char           *text;       /* without its line break */
  guint                 old_line;   /* 1-based; 0 for an added line */
  guint                 new_line;   /* 1-based; 0 for a removed line */
  gboolean              no_newline; /* last line of its text, without a line break */
  const ConfabDiffSpan *spans;      /* the changed words, in order */
  guint                 n_spans;
} ConfabDiffLine;

/* A run of lines [first_line, first_line + n_lines) of the list, and where
 * it is in each text as a unified diff counts it. */
typedef struct
{
  guint first_line;
  guint n_lines;
  guint old_start;
  guint old_count;
  guint new_start;
  guint new_count;
} ConfabDiffHunk;

/* A model setting that differs. */
typedef struct
{
  const char *field;     /* "provider", "model", "temperature", "max_tokens" */
  const char *label;     /* translated: "Provider", "Model", ... */
  const char *old_value; /* as text; "" when unset */
  const char *new_value;
} ConfabDiffSetting;

typedef enum
{
  CONFAB_DIFF_TEXT_PLAIN = 0,
  CONFAB_DIFF_TEXT_COLOR = 1 << 0, /* ANSI colours, changed words in reverse video */
  CONFAB_DIFF_TEXT_WORDS = 1 << 1, /* changed words as [-old-] and {+new+} */
} ConfabDiffTextFlags;

typedef struct _ConfabPromptDiff ConfabPromptDiff;

/* NULL texts are empty. */
ConfabPromptDiff *confab_prompt_diff_new (const char *old_text, const char *new_text);
/* The bodies and the model settings; db (nullable) names providers
 * (their ids otherwise). */
ConfabPromptDiff *confab_prompt_diff_new_for_versions (ConfabDatabase      *db,
                                                       ConfabPromptVersion *old_version,
                                                       ConfabPromptVersion *new_version);
void              confab_prompt_diff_free (ConfabPromptDiff *self);

/* No line and no setting differs. */
gboolean confab_prompt_diff_is_empty (ConfabPromptDiff *self);
guint    confab_prompt_diff_get_n_added (ConfabPromptDiff *self);
guint    confab_prompt_diff_get_n_removed (ConfabPromptDiff *self);

guint                 confab_prompt_diff_get_n_lines (ConfabPromptDiff *self);
const ConfabDiffLine *confab_prompt_diff_get_line (ConfabPromptDiff *self, guint i);
/* The hunks with context equal lines around each change (G_MAXUINT: one
 * hunk of everything); empty when the texts are equal. (element-type
 * ConfabDiffHunk) */
GArray *confab_prompt_diff_get_hunks (ConfabPromptDiff *self, guint context);

guint                    confab_prompt_diff_get_n_settings (ConfabPromptDiff *self);
const ConfabDiffSetting *confab_prompt_diff_get_setting (ConfabPromptDiff *self, guint i);

/* A unified diff of the texts ("--- old_name", "+++ new_name", "@@ -1,3
 * +1,4 @@" hunks, "\ No newline at end of file"); "" when they are equal. */
char *confab_prompt_diff_to_text (ConfabPromptDiff   *self,
                                  const char         *old_name,
                                  const char         *new_name,
                                  guint               context,
                                  ConfabDiffTextFlags flags);
/* One line per changed setting: "Temperature: 0.7 → 0.2"; "" when none. */
char *confab_prompt_diff_settings_to_text (ConfabPromptDiff *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabPromptDiff, confab_prompt_diff_free)

G_END_DECLS
