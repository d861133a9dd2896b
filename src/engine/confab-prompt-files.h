#pragma once

#include <gio/gio.h>

#include "confab-database.h"
#include "confab-prompt.h"
#include "confab-prompt-version.h"

G_BEGIN_DECLS

/* The prompt library outside the workspace: a folder of .prompt files for
 * git, and one JSON file of the whole library.
 *
 * ## .prompt files: one file per version
 *
 * Version 3 of "support/greeting" is the file support/greeting.v3.prompt
 * (a name's "/" make folders). One file per version, because versions never
 * change: a saved version's file is written once and never edited, a new
 * version is a new file, and moving a label changes the "labels:" line of
 * the two files it moves between, so `git log` and `git diff` read like the
 * prompt's history. `diff greeting.v2.prompt greeting.v3.prompt` compares
 * two versions. A file is a small header, a line "---", then the body
 * exactly as saved (to the last byte: trailing line breaks, or none, and
 * "---" lines inside the body are kept):
 *
 *     name: support/greeting
 *     version: 3
 *     labels: production, staging
 *     tags: billing, faq
 *     description: Greets a customer who writes in
 *     provider: OpenAI
 *     model: gpt-4o-mini
 *     temperature: 0.2
 *     max_tokens: 512
 *     message: Shorter greeting
 *     ---
 *     Hello {{name|there}}! How can I help?
 *
 * name and version are required, the rest optional (temperature 0.7 and
 * max_tokens 1024 when left out). Values are one line: "\n", "\t", "\r"
 * and "\\" stand for a line break, a tab, a carriage return and a
 * backslash, and in the labels and tags lists "\," for a comma. Blank
 * lines and lines starting with "#" in the header are ignored; an unknown
 * key is an error (a typo would otherwise be lost). The name in the header
 * is the prompt's name, whatever the file is called; a folder or file name
 * that could not be written as is ("..", "a:b") has those characters as
 * %XX. The provider is named by its name, so a folder moves between
 * workspaces. tags and description are the prompt's: the newest version's
 * file gives them on import.
 *
 * ## Import: created, updated, skipped
 *
 * Importing never overwrites or renumbers a version. For each prompt, by
 * version number:
 *   - a new prompt is created (with its description and tags); an existing
 *     one gets the file's description and tags when they differ (updated);
 *   - a version the workspace has with the same text and model settings is
 *     skipped as already there;
 *   - a version the workspace has with another text or other settings is
 *     skipped with a reason: versions are never overwritten. Save the text
 *     as a new version (a new file with the next number) to keep it;
 *   - the next number (newest + 1) is created; a number further on is
 *     skipped with a reason naming the versions missing before it (version
 *     numbers cannot have holes);
 *   - labels are moved to the versions the files give them, when that
 *     version is the same in the workspace as in the folder (updated);
 *     labels the folder does not mention are left alone;
 *   - a file that cannot be read (bad header, not UTF-8, too big) is
 *     skipped with the reason, naming the line.
 * A provider the workspace does not have is left out of the version, and
 * the report says so. Every change writes its audit row; the whole import
 * is one transaction, so a failure of the workspace itself leaves nothing
 * half-imported.
 *
 * ## JSON
 *
 * {"format": "confab-prompt-library", "format_version": 1, "exported_at",
 *  "prompts": [{"name", "description", "tags": [], "labels": {"production": 3},
 *               "versions": [{"version", "body", "message", "provider",
 *                             "model", "temperature", "max_tokens", "created_at"}],
 *               "test_cases": [{"name", "variables": {}, "input", "assertions": []}]}]}
 * Imported like a folder; test cases are created, or updated when their
 * variables, input or assertions differ. (The workspace export,
 * confab-export.h, holds the library too, with the runs, but only imports
 * into an empty workspace.) */

#define CONFAB_PROMPT_FILE_SUFFIX            ".prompt"
#define CONFAB_PROMPT_LIBRARY_FORMAT         "confab-prompt-library"
#define CONFAB_PROMPT_LIBRARY_FORMAT_VERSION 1
/* Bigger .prompt files are not read. */
#define CONFAB_PROMPT_FILE_MAX_SIZE (4 * 1024 * 1024)

typedef enum
{
  CONFAB_PROMPT_IMPORT_CREATED,
  CONFAB_PROMPT_IMPORT_UPDATED,
  CONFAB_PROMPT_IMPORT_SKIPPED,
} ConfabPromptImportAction;

/* One line of an import's report. */
typedef struct
{
  ConfabPromptImportAction action;
  char                    *name;    /* the prompt, or NULL when its file could not be read */
  int                      version; /* 0 when about the prompt, a label or a test case */
  char                    *source;  /* the file, relative to the folder, or the JSON entry */
  char                    *detail;  /* translated: what was done, or why not */
  gboolean                 problem; /* skipped because something is wrong, not as already there */
} ConfabPromptImportItem;

void confab_prompt_import_item_free (ConfabPromptImportItem *item);
/* report: (element-type ConfabPromptImportItem) */
guint
confab_prompt_import_count (GPtrArray *report, ConfabPromptImportAction action, gboolean problem);

/* One .prompt file */

/* A parsed .prompt file. */
typedef struct
{
  char  *name;
  int    version;
  char **labels;      /* never NULL */
  char **tags;        /* NULL when the header has no "tags:" */
  char  *description; /* NULL when the header has none */
  char  *provider;    /* the provider's name, or NULL */
  char  *model;
  double temperature;
  int    max_tokens;
  char  *message;
  char  *body;
} ConfabPromptFile;

void confab_prompt_file_free (ConfabPromptFile *file);
/* data need not be NUL-terminated; len -1 when it is. CONFAB_ERROR_INVALID
 * naming the line when it is not a .prompt file. */
ConfabPromptFile *confab_prompt_file_parse (const char *data, gssize len, GError **error);
/* The file of a version: labels (element-type ConfabPromptLabel, nullable)
 * are the prompt's, those on this version are written; db (nullable)
 * names the provider. */
char *confab_prompt_file_format (ConfabDatabase      *db,
                                 ConfabPrompt        *prompt,
                                 ConfabPromptVersion *version,
                                 GPtrArray           *labels);
/* "support/greeting.v3.prompt", with characters no file system takes as %XX. */
char *confab_prompt_file_path (const char *name, int version);

/* Folders. Export writes (or rewrites) every version's file, creating the
 * folders; it deletes nothing. *out_n_files (nullable) gets the number
 * written. Import reads every *.prompt file below folder (not following
 * links) and returns the report (element-type ConfabPromptImportItem), or
 * NULL with an error when the folder cannot be read or the workspace
 * failed. actor_id (nullable) is the audit actor. */
gboolean   confab_prompt_files_export (ConfabDatabase *db,
                                       GFile          *folder,
                                       guint          *out_n_files,
                                       GCancellable   *cancellable,
                                       GError        **error);
GPtrArray *confab_prompt_files_import (ConfabDatabase *db,
                                       GFile          *folder,
                                       const char     *actor_id,
                                       GCancellable   *cancellable,
                                       GError        **error);

/* The whole library (every version, labels, test cases) as JSON. */
gboolean confab_prompt_library_export_json (ConfabDatabase *db,
                                            GFile          *file,
                                            GCancellable   *cancellable,
                                            GError        **error);
/* NULL with CONFAB_ERROR_INVALID when file is not a library export. */
GPtrArray *confab_prompt_library_import_json (ConfabDatabase *db,
                                              GFile          *file,
                                              const char     *actor_id,
                                              GCancellable   *cancellable,
                                              GError        **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabPromptFile, confab_prompt_file_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabPromptImportItem, confab_prompt_import_item_free)

G_END_DECLS
