#pragma once

#include <gio/gio.h>

#include "confab-audit-entry.h"
#include "confab-database.h"
#include "confab-prompt.h"
#include "confab-prompt-label.h"
#include "confab-prompt-version.h"

G_BEGIN_DECLS

/* The prompt library's workflow on top of the entities (confab-prompt.h,
 * confab-prompt-version.h, confab-prompt-label.h): what the Prompts screens
 * and `confab-cli prompts` do. It lives in the engine because saving checks
 * the text with the template engine.
 *
 * What a screen needs, and where it is:
 *   prompts, live          confab_repository_list_model (db, CONFAB_TYPE_PROMPT, NULL, NULL)
 *   folders                confab_prompt_library_split_name ()
 *   versions, live         confab_repository_list_model (db, CONFAB_TYPE_PROMPT_VERSION,
 *                          "prompt_id", id), newest first
 *   labels                 confab_prompt_list_labels (); per version
 *                          confab_prompt_library_labels_of_version (); changes come
 *                          as ConfabDatabase::changed::prompt_labels
 *   save a new version     confab_prompt_library_save ()
 *   new prompt + version 1 confab_prompt_library_add ()
 *   move a label here      confab_prompt_library_move_label ()
 *   restore                confab_prompt_restore_version (): a new version with the
 *                          old one's text and settings, message "Restored version N"
 *   variables of a text    confab_template_detect_variables () (confab-template.h)
 *   diff                   confab-prompt-diff.h
 *   runs, test cases       confab-prompt-runner.h, confab-prompt-test-case.h
 *   history                confab_prompt_library_history (),
 *                          confab_prompt_library_describe_entry ()
 *   NAME@3, NAME:production confab_prompt_library_resolve ()
 *
 * Every save, label move and restore writes its audit row in the same
 * transaction: a save is the version's "create" row (entity
 * "prompt_version"), a label move the prompt's "label" row, a restore the
 * new version's "create" row and the prompt's "rollback" row. */

/* Saves draft (an unsaved ConfabPromptVersion whose prompt_id, body and,
 * optionally, message, author_id, provider_id, model, temperature and
 * max_tokens are set) as the prompt's next version. In one transaction
 * (BEGIN IMMEDIATE, so connections saving at once get distinct numbers):
 * the number is max + 1, the variables are detected from the body
 * (confab_template_detect_variables ()) and stored as a JSON array of
 * names, and the audit row is written with author_id as the actor. On
 * success draft holds the saved row (id, version, variables, created_at).
 *
 * Errors: CONFAB_ERROR_INVALID when the body is not a valid template
 * (naming the line), when nothing changed since the newest version (same
 * text and model settings), or any field is invalid; NOT_FOUND for a
 * missing prompt. */
gboolean
confab_prompt_library_save (ConfabDatabase *db, ConfabPromptVersion *draft, GError **error);

/* As confab_prompt_library_save (), also when draft says what the newest
 * version says: an import keeps a history as it was written (a restored
 * version can repeat the one before it). */
gboolean
confab_prompt_library_save_as_is (ConfabDatabase *db, ConfabPromptVersion *draft, GError **error);

/* Creates prompt (unsaved: name, description, tags, owner) and saves first
 * as its version 1, in one transaction; the actor is first's author. */
gboolean confab_prompt_library_add (ConfabDatabase      *db,
                                    ConfabPrompt        *prompt,
                                    ConfabPromptVersion *first,
                                    GError             **error);

/* Creates label or moves it to version number version of the prompt
 * (confab_prompt_set_label () with the audit row). */
gboolean confab_prompt_library_move_label (ConfabDatabase *db,
                                           const char     *prompt_id,
                                           const char     *label,
                                           int             version,
                                           const char     *actor_id,
                                           GError        **error);

/* A prompt by its name, or by its id. NOT_FOUND names the value. */
ConfabPrompt *
confab_prompt_library_find (ConfabDatabase *db, const char *name_or_id, GError **error);

/* The version a reference means:
 *   NAME            the newest version ("latest")
 *   NAME@VERSION    that version number
 *   NAME:LABEL      the version the label points at (":latest" is the newest)
 * A name that itself holds "@" or ":" is found as a whole first.
 * *out_prompt (nullable) gets the prompt. NOT_FOUND names what is missing. */
ConfabPromptVersion *confab_prompt_library_resolve (ConfabDatabase *db,
                                                    const char     *reference,
                                                    ConfabPrompt  **out_prompt,
                                                    GError        **error);

/* The audit rows of the prompt, its versions (and so its label moves and
 * restores) and its test cases, newest first (element-type
 * ConfabAuditEntry). NOT_FOUND when the prompt does not exist. */
GPtrArray *
confab_prompt_library_history (ConfabDatabase *db, const char *prompt_id, GError **error);
/* One history row in words: "Saved version 3: “Shorter greeting”",
 * "Moved the label “production” from version 2 to version 3". */
char *confab_prompt_library_describe_entry (ConfabAuditEntry *entry);

/* "support/billing/refund" -> folder "support/billing", leaf "refund";
 * "greeting" -> folder NULL, leaf "greeting". Both outs nullable. */
void confab_prompt_library_split_name (const char *name, char **out_folder, char **out_leaf);

/* The names of the labels (from confab_prompt_list_labels ()) that point
 * at version, sorted; "latest" first when is_latest. */
char **confab_prompt_library_labels_of_version (GPtrArray *labels, int version, gboolean is_latest);

/* Whether two versions have the same text and model settings (provider,
 * model, temperature, max tokens); message, author and time do not count. */
gboolean confab_prompt_library_same_content (ConfabPromptVersion *a, ConfabPromptVersion *b);

G_END_DECLS
