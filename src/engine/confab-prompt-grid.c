#define G_LOG_DOMAIN "confab-engine"

#include "config.h"

#include "confab-prompt-grid.h"

typedef struct
{
  ConfabPromptRun *run;
  GError          *error;
} Cell;

struct _ConfabPromptGrid
{
  GObject parent_instance;

  GPtrArray *versions; /* ConfabPromptVersion */
  GPtrArray *cases;    /* ConfabPromptTestCase */
  Cell      *cells;    /* versions->len * cases->len, by version then case */
  guint      n_cells;
};

G_DEFINE_FINAL_TYPE (ConfabPromptGrid, confab_prompt_grid, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_N_VERSIONS,
  PROP_N_CASES,
  N_PROPS
};

enum
{
  CELL_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint       signals[N_SIGNALS];

static void
confab_prompt_grid_dispose (GObject *object)
{
  ConfabPromptGrid *self = CONFAB_PROMPT_GRID (object);

  for (guint i = 0; i < self->n_cells; i++)
    g_clear_object (&self->cells[i].run);
  g_clear_pointer (&self->versions, g_ptr_array_unref);
  g_clear_pointer (&self->cases, g_ptr_array_unref);

  G_OBJECT_CLASS (confab_prompt_grid_parent_class)->dispose (object);
}

static void
confab_prompt_grid_finalize (GObject *object)
{
  ConfabPromptGrid *self = CONFAB_PROMPT_GRID (object);

  for (guint i = 0; i < self->n_cells; i++)
    g_clear_error (&self->cells[i].error);
  g_free (self->cells);

  G_OBJECT_CLASS (confab_prompt_grid_parent_class)->finalize (object);
}

static void
confab_prompt_grid_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  ConfabPromptGrid *self = CONFAB_PROMPT_GRID (object);

  switch (prop_id)
    {
    case PROP_N_VERSIONS:
      g_value_set_uint (value, confab_prompt_grid_get_n_versions (self));
      break;
    case PROP_N_CASES:
      g_value_set_uint (value, confab_prompt_grid_get_n_cases (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_prompt_grid_class_init (ConfabPromptGridClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = confab_prompt_grid_dispose;
  object_class->finalize = confab_prompt_grid_finalize;
  object_class->get_property = confab_prompt_grid_get_property;

  properties[PROP_N_VERSIONS] = g_param_spec_uint ("n-versions", NULL, NULL, 0, G_MAXUINT, 0,
                                                   G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_CASES] = g_param_spec_uint ("n-cases", NULL, NULL, 0, G_MAXUINT, 0,
                                                G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * ConfabPromptGrid::cell-changed:
   * @version_index: the column
   * @case_index: the row
   *
   * A cell got its run or its error.
   */
  signals[CELL_CHANGED] =
      g_signal_new ("cell-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                    NULL, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_UINT);
}

static void
confab_prompt_grid_init (ConfabPromptGrid *self)
{
}

ConfabPromptGrid *
confab_prompt_grid_new (GPtrArray *versions, GPtrArray *cases)
{
  ConfabPromptGrid *self;

  g_return_val_if_fail (versions != NULL, NULL);
  g_return_val_if_fail (cases != NULL, NULL);

  self = g_object_new (CONFAB_TYPE_PROMPT_GRID, NULL);
  self->versions = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < versions->len; i++)
    g_ptr_array_add (self->versions, g_object_ref (g_ptr_array_index (versions, i)));
  self->cases = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < cases->len; i++)
    g_ptr_array_add (self->cases, g_object_ref (g_ptr_array_index (cases, i)));
  self->n_cells = versions->len * cases->len;
  self->cells = g_new0 (Cell, MAX (self->n_cells, 1));
  return self;
}

guint
confab_prompt_grid_get_n_versions (ConfabPromptGrid *self)
{
  g_return_val_if_fail (CONFAB_IS_PROMPT_GRID (self), 0);
  return self->versions->len;
}

guint
confab_prompt_grid_get_n_cases (ConfabPromptGrid *self)
{
  g_return_val_if_fail (CONFAB_IS_PROMPT_GRID (self), 0);
  return self->cases->len;
}

ConfabPromptVersion *
confab_prompt_grid_get_version (ConfabPromptGrid *self, guint version_index)
{
  g_return_val_if_fail (CONFAB_IS_PROMPT_GRID (self), NULL);
  g_return_val_if_fail (version_index < self->versions->len, NULL);
  return g_ptr_array_index (self->versions, version_index);
}

ConfabPromptTestCase *
confab_prompt_grid_get_case (ConfabPromptGrid *self, guint case_index)
{
  g_return_val_if_fail (CONFAB_IS_PROMPT_GRID (self), NULL);
  g_return_val_if_fail (case_index < self->cases->len, NULL);
  return g_ptr_array_index (self->cases, case_index);
}

static Cell *
get_cell (ConfabPromptGrid *self, guint version_index, guint case_index)
{
  if (version_index >= self->versions->len || case_index >= self->cases->len)
    return NULL;
  return &self->cells[version_index * self->cases->len + case_index];
}

ConfabPromptRun *
confab_prompt_grid_get_run (ConfabPromptGrid *self, guint version_index, guint case_index)
{
  Cell *cell;

  g_return_val_if_fail (CONFAB_IS_PROMPT_GRID (self), NULL);
  cell = get_cell (self, version_index, case_index);
  g_return_val_if_fail (cell != NULL, NULL);
  return cell->run;
}

const GError *
confab_prompt_grid_get_error (ConfabPromptGrid *self, guint version_index, guint case_index)
{
  Cell *cell;

  g_return_val_if_fail (CONFAB_IS_PROMPT_GRID (self), NULL);
  cell = get_cell (self, version_index, case_index);
  g_return_val_if_fail (cell != NULL, NULL);
  return cell->error;
}

gboolean
confab_prompt_grid_get_passed (ConfabPromptGrid *self, guint version_index, guint case_index)
{
  Cell *cell;

  g_return_val_if_fail (CONFAB_IS_PROMPT_GRID (self), FALSE);
  cell = get_cell (self, version_index, case_index);
  g_return_val_if_fail (cell != NULL, FALSE);
  return cell->run != NULL &&
         confab_prompt_run_get_verdict (cell->run) == CONFAB_PROMPT_VERDICT_PASSED;
}

guint
confab_prompt_grid_count_passed (ConfabPromptGrid *self, guint version_index)
{
  guint n = 0;

  g_return_val_if_fail (CONFAB_IS_PROMPT_GRID (self), 0);
  for (guint j = 0; j < self->cases->len; j++)
    n += confab_prompt_grid_get_passed (self, version_index, j);
  return n;
}

gboolean
confab_prompt_grid_all_passed (ConfabPromptGrid *self)
{
  g_return_val_if_fail (CONFAB_IS_PROMPT_GRID (self), FALSE);
  for (guint i = 0; i < self->versions->len; i++)
    if (confab_prompt_grid_count_passed (self, i) != self->cases->len)
      return FALSE;
  return TRUE;
}

void
confab_prompt_grid_set_cell (ConfabPromptGrid *self,
                             guint             version_index,
                             guint             case_index,
                             ConfabPromptRun  *run,
                             const GError     *error)
{
  Cell *cell;

  g_return_if_fail (CONFAB_IS_PROMPT_GRID (self));
  cell = get_cell (self, version_index, case_index);
  g_return_if_fail (cell != NULL);

  g_set_object (&cell->run, run);
  g_clear_error (&cell->error);
  if (error != NULL)
    cell->error = g_error_copy (error);
  g_signal_emit (self, signals[CELL_CHANGED], 0, version_index, case_index);
}
