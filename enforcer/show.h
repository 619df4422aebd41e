/* SPDX-License-Identifier: MIT */
#pragma once

#include "plan.h"

#include <stdio.h>

/* Decode a validated plan: header, sections, entries with provenance. */
void bw_show_text(const struct bw_plan *p, FILE *f);
/* The same, its headings in bold when color (the text is otherwise the same bytes). */
void bw_show_text_color(const struct bw_plan *p, FILE *f, bool color);
void bw_show_json(const struct bw_plan *p, FILE *f);
