#pragma once

#include "confab-entity.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_USER (confab_user_get_type ())

G_DECLARE_FINAL_TYPE (ConfabUser, confab_user, CONFAB, USER, ConfabEntity)

extern const char * const confab_user_roles[];

ConfabUser *confab_user_new           (const char *username,
                                       const char *email);
const char *confab_user_get_name      (ConfabUser *self);
void        confab_user_set_name      (ConfabUser *self,
                                       const char *name);
const char *confab_user_get_username  (ConfabUser *self);
void        confab_user_set_username  (ConfabUser *self,
                                       const char *username);
const char *confab_user_get_email     (ConfabUser *self);
void        confab_user_set_email     (ConfabUser *self,
                                       const char *email);
const char *confab_user_get_role      (ConfabUser *self);
void        confab_user_set_role      (ConfabUser *self,
                                       const char *role);
const char *confab_user_get_sector    (ConfabUser *self);
void        confab_user_set_sector    (ConfabUser *self,
                                       const char *sector);
const char *confab_user_get_persona   (ConfabUser *self);
void        confab_user_set_persona   (ConfabUser *self,
                                       const char *persona);
gboolean    confab_user_get_is_active (ConfabUser *self);
void        confab_user_set_is_active (ConfabUser *self,
                                       gboolean    is_active);

G_END_DECLS
