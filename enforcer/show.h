/* SPDX-License-Identifier: MIT */
#pragma once

#include "plan.h"

#include <stdio.h>

/* Decode a validated plan: header, sections, entries with provenance. */
void bw_show_text(const struct bw_plan *p, FILE *f);
void bw_show_json(const struct bw_plan *p, FILE *f);
