/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
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
        if (!t->right)
                return table_free(t);
        va_start(ap, header);
        for (const char *h = header; h; h = va_arg(ap, const char *)) {
                t->right[t->n_cells] = h[0] == '>';
                if (table_add(t, h + (h[0] == '>')) < 0) {
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

size_t table_rows(const Table *t) {
        return t->n_cells / t->n_cols - 1;
}

/* Prints the first width columns of cell s, cut with "..." when it is wider. */
static void print_cell(FILE *f, const char *s, size_t width, bool right, bool last) {
        size_t w = text_width(s);
        if (w > width) {
                size_t keep = width > 3 ? width - 3 : 0, n = 0;
                const char *p = s;
                for (; *p; p++) {
                        if ((*p & 0xc0) != 0x80 && n++ == keep)
                                break;
                }
                fwrite(s, 1, (size_t) (p - s), f);
                fputs("..." + (width > 3 ? 0 : 3 - width), f);
                return;
        }
        if (right)
                fprintf(f, "%*s", (int) (width - w), "");
        fputs(s, f);
        if (!right && !last)
                fprintf(f, "%*s", (int) (width - w), "");
}

int table_print(Table *t, FILE *f, unsigned indent) {
        _cleanup_free_ size_t *width = calloc(t->n_cols, sizeof(size_t));
        _cleanup_free_ char *line = NULL;
        size_t total, len = 0;

        if (!width)
                return -ENOMEM;
        for (size_t i = 0; i < t->n_cells; i++)
                width[i % t->n_cols] = MAX(width[i % t->n_cols], text_width(t->cells[i]));
        /* shrink the last column (titles, sources), then the widest, until the table fits */
        for (;;) {
                size_t widest = 0, last = t->n_cols - 1;
                total = indent + t->n_cols - 1;
                for (size_t c = 0; c < t->n_cols; c++) {
                        total += width[c];
                        if (width[c] > width[widest])
                                widest = c;
                }
                if (width[last] > LAST_MIN_WIDTH)
                        widest = last;
                if (arg.columns == 0 || total <= arg.columns || width[widest] <= MIN_WIDTH)
                        break;
                width[widest]--;
        }
        for (size_t row = 0; row < t->n_cells / t->n_cols; row++) {
                FILE *l = open_memstream(&line, &len);
                if (!l)
                        return -ENOMEM;
                fprintf(l, "%*s", (int) indent, "");
                for (size_t c = 0; c < t->n_cols; c++) {
                        print_cell(l, t->cells[row * t->n_cols + c], width[c], t->right[c],
                                   c == t->n_cols - 1);
                        if (c < t->n_cols - 1)
                                fputc(' ', l);
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
