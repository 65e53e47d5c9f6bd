/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lockdepctl.h"
#include "table.h"

#define MIN_WIDTH      6
#define LAST_MIN_WIDTH 24

struct Table {
        size_t n_cols;
        char **cells; /* n_cols headers, then the rows */
        size_t n_cells;
        bool *right;
        char *cut;   /* per column: 0 never cut, 'e' cut at the end (titles), 'm' in the middle (paths) */
        bool *optional; /* per column: left out when the pane is too narrow even so */
        char **short_header; /* per column: the header for narrow panes, or NULL */
        bool no_header;
};

Table *table_new(const char *header, ...) {
        Table *t = calloc(1, sizeof(Table));
        va_list ap;

        if (!t)
                return NULL;
        va_start(ap, header);
        for (const char *h = header; h; h = va_arg(ap, const char *))
                t->n_cols++;
        va_end(ap);
        t->right = calloc(t->n_cols, sizeof(bool));
        t->cut = calloc(t->n_cols, 1);
        t->optional = calloc(t->n_cols, sizeof(bool));
        t->short_header = calloc(t->n_cols, sizeof(char *));
        if (!t->right || !t->cut || !t->optional || !t->short_header)
                return table_free(t);
        va_start(ap, header);
        for (const char *h = header; h; h = va_arg(ap, const char *)) {
                size_t col = t->n_cells;
                t->right[col] = h[0] == '>';
                h += h[0] == '>';
                if (h[0] == '~' || h[0] == '|')
                        t->cut[col] = *h++ == '~' ? 'e' : 'm';
                t->optional[col] = h[0] == '?';
                h += h[0] == '?';
                const char *tab = strchr(h, '\t');
                _cleanup_free_ char *full = strndup(h, tab ? (size_t) (tab - h) : strlen(h));
                if (!full || (tab && !(t->short_header[col] = strdup(tab + 1))) || table_add(t, full) < 0) {
                        va_end(ap);
                        return table_free(t);
                }
        }
        va_end(ap);
        return t;
}

Table *table_free(Table *t) {
        if (!t)
                return NULL;
        for (size_t i = 0; i < t->n_cells; i++)
                free(t->cells[i]);
        free(t->cells);
        free(t->right);
        free(t->cut);
        free(t->optional);
        for (size_t c = 0; t->short_header && c < t->n_cols; c++)
                free(t->short_header[c]);
        free(t->short_header);
        free(t);
        return NULL;
}

int table_add(Table *t, const char *cell) {
        char **c = realloc(t->cells, (t->n_cells + 1) * sizeof(char *));
        if (!c)
                return -ENOMEM;
        t->cells = c;
        c[t->n_cells] = escape_safe(cell ? cell : "-");
        if (!c[t->n_cells])
                return -ENOMEM;
        t->n_cells++;
        return 0;
}

int table_addf(Table *t, const char *fmt, ...) {
        _cleanup_free_ char *s = NULL;
        va_list ap;

        va_start(ap, fmt);
        int r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        return table_add(t, s);
}

int table_add_field(Table *t, const char *obj, const char *key) {
        _cleanup_free_ char *v = json_get_str(obj, key);
        return table_add(t, v);
}

void table_hide_header(Table *t) {
        t->no_header = true;
}

size_t table_rows(const Table *t) {
        return t->n_cells / t->n_cols - 1;
}

/* The byte offset of code point n of s (or its end). */
static size_t cp_offset(const char *s, size_t n) {
        const char *p = s;
        for (size_t k = 0; *p; p++)
                if ((*p & 0xc0) != 0x80 && k++ == n)
                        break;
        return (size_t) (p - s);
}

/* Prints cell s in width columns: cut with an ellipsis ("…" on UTF-8 locales, "...") at the end
 * (how 'e') or in the middle (how 'm', paths keep their file name) when it is wider. */
static void print_cell(FILE *f, const char *s, size_t width, bool right, bool last, char how) {
        size_t w = text_width(s);
        if (w > width) {
                const char *ell = arg.utf8 ? "\u2026" : "...";
                size_t ew = arg.utf8 ? 1 : 3;
                if (width <= ew) {
                        fwrite(ell, 1, arg.utf8 ? strlen(ell) : width, f);
                        return;
                }
                size_t keep = width - ew;
                if (how == 'm') {
                        size_t tail = keep / 2, head = keep - tail;
                        fwrite(s, 1, cp_offset(s, head), f);
                        fputs(ell, f);
                        fputs(s + cp_offset(s, w - tail), f);
                } else {
                        fwrite(s, 1, cp_offset(s, keep), f);
                        fputs(ell, f);
                }
                return;
        }
        if (right)
                fprintf(f, "%*s", (int) (width - w), "");
        fputs(s, f);
        if (!right && !last)
                fprintf(f, "%*s", (int) (width - w), "");
}

/* The column widths for a layout: the short headers or not, without the hidden columns; the
 * cuttable columns (titles, names, paths) shrunk, the last of them first down to LAST_MIN_WIDTH,
 * then the widest, until the table fits arg.columns (or they are all at MIN_WIDTH). Returns the
 * table's width. */
static size_t layout(const Table *t, unsigned indent, bool use_short, const bool *hidden, size_t *width) {
        size_t total;

        for (size_t c = 0; c < t->n_cols; c++)
                width[c] = text_width(use_short && t->short_header[c] ? t->short_header[c] : t->cells[c]);
        for (size_t i = t->n_cols; i < t->n_cells; i++)
                width[i % t->n_cols] = MAX(width[i % t->n_cols], text_width(t->cells[i]));
        for (;;) {
                size_t widest = SIZE_MAX, last = SIZE_MAX, shown = 0;
                total = indent;
                for (size_t c = 0; c < t->n_cols; c++) {
                        if (hidden[c])
                                continue;
                        total += width[c] + (shown++ > 0);
                        if (!t->cut[c])
                                continue;
                        last = c;
                        if (widest == SIZE_MAX || width[c] > width[widest])
                                widest = c;
                }
                if (last != SIZE_MAX && width[last] > LAST_MIN_WIDTH)
                        widest = last;
                if (arg.columns == 0 || total <= arg.columns || widest == SIZE_MAX || width[widest] <= MIN_WIDTH)
                        return total;
                width[widest]--;
        }
}

int table_print(Table *t, FILE *f, unsigned indent) {
        _cleanup_free_ size_t *width = calloc(t->n_cols, sizeof(size_t));
        _cleanup_free_ bool *hidden = calloc(t->n_cols, sizeof(bool));
        _cleanup_free_ char *line = NULL;
        size_t len = 0;
        bool use_short = false;

        if (!width || !hidden)
                return -ENOMEM;
        /* timestamps, kinds and numbers stay whole: when the table does not fit with its cuttable
         * columns cut, the short headers ("OFF" for "LOCKDEP OFF"), then without its optional
         * columns, the last first; a table that does not fit even so is printed whole, wider than
         * the terminal (it wraps) */
        if (layout(t, indent, false, hidden, width) > arg.columns && arg.columns > 0) {
                use_short = true;
                for (size_t c = t->n_cols; layout(t, indent, true, hidden, width) > arg.columns && c > 0; c--)
                        if (t->optional[c - 1])
                                hidden[c - 1] = true;
        }
        size_t last_shown = 0;
        for (size_t c = 0; c < t->n_cols; c++)
                if (!hidden[c])
                        last_shown = c;
        for (size_t row = t->no_header ? 1 : 0; row < t->n_cells / t->n_cols; row++) {
                FILE *l = open_memstream(&line, &len);
                if (!l)
                        return -ENOMEM;
                fprintf(l, "%*s", (int) indent, "");
                bool first = true;
                for (size_t c = 0; c < t->n_cols; c++) {
                        if (hidden[c])
                                continue;
                        const char *cell = t->cells[row * t->n_cols + c];
                        if (row == 0 && use_short && t->short_header[c])
                                cell = t->short_header[c];
                        if (!first)
                                fputc(' ', l);
                        first = false;
                        print_cell(l, cell, width[c], t->right[c], c == last_shown, t->cut[c]);
                }
                if (fclose(l) != 0)
                        return -ENOMEM;
                while (len > 0 && line[len - 1] == ' ')
                        len--;
                line[len] = 0;
                fprintf(f, "%s%s%s\n", row == 0 ? ansi_highlight() : "", line,
                        row == 0 ? ansi_normal() : "");
                free(line);
                line = NULL;
        }
        return 0;
}
