/*
 * schema.c: column lookup in a schema (see schema.h).
 *
 * Does: find a column by (qualifier, name), reporting ambiguity when no
 * qualifier is given and several sources provide the name. Names compare
 * exactly: they are normalised by the parser. A qualified reference only
 * matches columns whose qualifier is set to that source or alias; the
 * analyzer sets qualifiers when it builds a schema for a FROM clause.
 *
 * Does not: know about pseudocolumns (ROWTIME...), which expr.c resolves.
 */
#include <string.h>

#include "schema.h"

int sl_schema_find(const sl_schema *s, const char *qualifier, const char *name)
{
    if (!s || !name)
        return -1;
    int found = -1;
    for (int i = 0; i < s->ncols; i++) {
        const sl_column *c = &s->cols[i];
        if (!c->name || strcmp(c->name, name) != 0)
            continue;
        if (qualifier) {
            if (!c->qualifier || strcmp(c->qualifier, qualifier) != 0)
                continue;
            return i;
        }
        if (found >= 0)
            return -2;
        found = i;
    }
    return found;
}
