#include "confab-error.h"

G_DEFINE_QUARK (confab-error-quark, confab_error)
