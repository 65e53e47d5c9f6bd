/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Tables for the terminal: cells are stored escaped (safe to print), columns are as wide as their
 * widest cell, and when arg.columns is set the columns marked cuttable are shrunk (cells cut with
 * "…" or "...") until the table fits, then short headers are used and optional columns left out;
 * a table that does not fit even so is printed whole (the terminal wraps it: a timestamp or a
 * number is never cut). The last column is not padded. The Table owns its cells.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "macro.h"

typedef struct Table Table;

/* Headers, NULL-terminated. A header starting with '>' is a right-aligned (numeric) column; the
 * '>' is not printed. After it, '~' marks a column that may be cut at its end (titles), '|' one
 * cut in the middle (paths, kernel releases, host names); columns without either are never cut.
 * Then '?' marks a column left out when the pane is too narrow even with every cuttable column
 * cut and the short headers: "HEADER\tSHORT" gives the header for such a pane. NULL on ENOMEM. */
Table *table_new(const char *header, ...);
Table *table_free(Table *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(Table *, table_free)

/* Adds the next cell (row by row); NULL shows as "-". 0 or -ENOMEM. */
int table_add(Table *t, const char *cell);
int table_addf(Table *t, const char *fmt, ...) _printf_(2, 3);
/* Adds the value of key in the JSON object obj (strings decoded, numbers as text). */
int table_add_field(Table *t, const char *obj, const char *key);
size_t table_rows(const Table *t);
/* --no-legend: table_print() leaves out the header line. */
void table_hide_header(Table *t);
/* Prints header and rows; indent spaces before each line. */
int table_print(Table *t, FILE *f, unsigned indent);
