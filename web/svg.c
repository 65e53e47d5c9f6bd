/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Sparklines drawn on the server (a group's cycle is svg-cycle.c, the fleet graph graph-layout.c).
 * No style attributes (the CSP forbids them): classes only, styled by style.css.
 */
#include <math.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "web-internal.h"

int sparkline_day(const char *iso_day, time_t now) {
        struct tm tm = {};
        if (!iso_day || !strptime(iso_day, "%Y-%m-%d", &tm))
                return -EINVAL;
        long age = (long) ((now - timegm(&tm)) / 86400);
        return age < 0 || age >= SPARK_DAYS ? -ERANGE : (int) (SPARK_DAYS - 1 - age);
}

/* One point per day over SPARK_DAYS days ending today. */
void svg_sparkline_days(Html *h, const double v[SPARK_DAYS], bool standalone) {
        double max = 0;
        for (int i = 0; i < SPARK_DAYS; i++)
                max = MAX(max, v[i]);
        h_printf(h, "<svg class=\"spark\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d 20\" width=\"%d\" "
                    "height=\"20\" role=\"img\" aria-label=\"reports per day\"><polyline points=\"", SPARK_DAYS, SPARK_DAYS);
        for (int i = 0; i < SPARK_DAYS; i++)
                h_printf(h, "%s%d,%.1f", i ? " " : "", i, max > 0 ? 19 - 18 * v[i] / max : 19.0);
        /* a standalone image does not see style.css: presentation attributes instead */
        h_raw(h, standalone ? "\" fill=\"none\" stroke=\"#1565c0\" stroke-width=\"1\"/></svg>" : "\"/></svg>");
}

void svg_sparkline(Html *h, const StoreCount *daily, size_t n, bool standalone) {
        double v[SPARK_DAYS] = {};
        time_t now = time(NULL);
        for (size_t i = 0; i < n; i++) {
                int k = sparkline_day(daily[i].name, now);
                if (k >= 0)
                        v[k] += (double) daily[i].n;
        }
        svg_sparkline_days(h, v, standalone);
}
