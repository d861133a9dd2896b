/* confab-page.h
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "confab-core.h"
#include "confab-agent-runtime.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_PAGE (confab_page_get_type ())

/* The base of the window's section pages (Chats, Agents...): each is a list
 * beside its detail, in a leaflet of its own, with a header bar on each pane.
 *
 * The window sets "database" and "runtime" (shared by all pages, NULL when no
 * workspace is open) and keeps "folded" in step with its own leaflet: when it
 * is TRUE the sidebar is hidden, so the list pane shows a back button
 * (action win.show-sidebar) and the window's start buttons.
 *
 * Pages move between sections with the window's actions:
 *   win.show-sidebar
 *   win.open-conversation  (ss)  conversation id, message id ("" for none)
 *   win.chat-with-agent    s     agent id: a new conversation with it
 *   win.chat-with-team     s     team id
 *   win.select-section     i     a ConfabSection */
G_DECLARE_DERIVABLE_TYPE (ConfabPage, confab_page, CONFAB, PAGE, AdwBin)

struct _ConfabPageClass
{
  AdwBinClass parent_class;

  /* Called after "database" changed (it may be NULL). */
  void (*database_changed) (ConfabPage *self);

  gpointer padding[4];
};

ConfabDatabase     *confab_page_get_database (ConfabPage   *self);
void                confab_page_set_database (ConfabPage   *self,
                                              ConfabDatabase *database);
ConfabAgentRuntime *confab_page_get_runtime  (ConfabPage   *self);
void                confab_page_set_runtime  (ConfabPage   *self,
                                              ConfabAgentRuntime *runtime);
gboolean            confab_page_get_folded   (ConfabPage   *self);
void                confab_page_set_folded   (ConfabPage   *self,
                                              gboolean      folded);

/* Shows a toast in the window. The message is plain text (escaped here). */
void                confab_page_toast        (ConfabPage   *self,
                                              const char   *message);
/* The same for an error; its message is already user-facing. */
void                confab_page_toast_error  (ConfabPage   *self,
                                              const GError *error);
/* Adds a toast made by the caller (an undo toast, say); transfer full. */
void                confab_page_add_toast    (ConfabPage   *self,
                                              AdwToast     *toast);

G_END_DECLS
