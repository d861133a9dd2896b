/* confab-escalation-row.h
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "confab-core.h"

G_BEGIN_DECLS

/* What the Escalations section shows of an escalation besides its own
 * fields, read from the workspace: the conversation's title, the agent or
 * team it was with, and the name of who holds it. */
typedef struct
{
  char *title;     /* never NULL */
  char *peer;      /* the agent's or team's name, or NULL */
  char *supporter; /* the holder's name, or NULL */
} ConfabEscalationInfo;

void confab_escalation_info_load (ConfabEscalationInfo *info,
                                  ConfabDatabase       *db,
                                  ConfabEscalation     *escalation);
void confab_escalation_info_clear (ConfabEscalationInfo *info);

/* "Pending", "Assigned", "Resolved" (translated). */
const char *confab_escalation_status_label (const char *status);
/* How long the customer has waited ("Waiting for 5 minutes"), or waited
 * until it was resolved ("Resolved after 2 hours"), at @now. */
char *confab_escalation_dup_waited (ConfabEscalation *escalation, GDateTime *now);
/* Shows @status on @label as a tinted tag. */
void confab_escalation_status_tag (GtkLabel *label, const char *status);

#define CONFAB_TYPE_ESCALATION_ROW (confab_escalation_row_get_type ())

/* One escalation of the Escalations list: the conversation's title and a
 * status tag, the reason, then the agent or team, how long the customer
 * waited and who holds it ("you" for @me_id). It follows the escalation's
 * properties; confab_escalation_row_refresh() re-reads the rest (names
 * change, time passes). */
G_DECLARE_FINAL_TYPE (ConfabEscalationRow, confab_escalation_row, CONFAB, ESCALATION_ROW, AdwBin)

GtkWidget        *confab_escalation_row_new (void);
void              confab_escalation_row_set_escalation (ConfabEscalationRow *self,
                                                        ConfabDatabase      *db,
                                                        ConfabEscalation    *escalation,
                                                        const char          *me_id);
ConfabEscalation *confab_escalation_row_get_escalation (ConfabEscalationRow *self);
void              confab_escalation_row_refresh (ConfabEscalationRow *self);
/* For tests: the labels' texts. */
const char *confab_escalation_row_get_meta (ConfabEscalationRow *self);

G_END_DECLS
