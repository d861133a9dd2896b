/* main.c
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-app"

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "confab-application.h"

int
main (int    argc,
      char **argv)
{
  /* Taken first, so CONFAB_PROFILE=1 measures the whole start-up. */
  gint64 start_time = g_get_monotonic_time ();
  g_autoptr (ConfabApplication) app = NULL;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = confab_application_new (start_time);

  return g_application_run (G_APPLICATION (app), argc, argv);
}
