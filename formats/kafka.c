/*
 * kafka.c: the KAFKA codec (see format.h): one column in the encoding of
 * Kafka's Java serializers (IntegerSerializer, LongSerializer,
 * DoubleSerializer, StringSerializer, ByteArraySerializer).
 *
 * Does: INT as 4 bytes and BIGINT as 8 bytes, big-endian two's complement;
 * DOUBLE as the 8 big-endian bytes of its IEEE-754 bits; STRING as its UTF-8
 * bytes (checked: invalid UTF-8 is an error, where Java would substitute
 * U+FFFD); BYTES as they are. A length other than 4 / 8 for INT / BIGINT /
 * DOUBLE is an error. With no column (a key-less schema) the bytes are
 * ignored and nothing is written.
 *
 * Does not: any other type (sl_format_check refuses them).
 */
#include <string.h>

#include "formats/format_internal.h"

static uint64_t load_be(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

static void store_be(uint8_t *p, uint64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

static int kafka_decode(sl_decoder *d, const uint8_t *data, size_t len, sl_arena *a,
                        sl_value *out, sl_error *err)
{
    if (d->ncols == 0)
        return 0;
    out[0] = sl_null();
    if (!d->wanted[0])
        return 0;
    const sl_column *c = &d->cols[0];
    const char *what = d->opts.is_key ? "KAFKA key" : "KAFKA value";
    size_t want = c->type->kind == SL_INT ? 4 : 8;
    switch (c->type->kind) {
    case SL_INT:
    case SL_BIGINT:
    case SL_DOUBLE:
        if (len != want)
            return sl_error_set(err, SL_ERR_EVAL, SL_NOSPAN,
                                "%s, column `%s`: a %s needs exactly %zu bytes, the record has "
                                "%zu",
                                what, c->name, sl_kind_name(c->type->kind), want, len);
        if (c->type->kind == SL_INT) {
            out[0] = sl_int((int32_t)(uint32_t)load_be(data, 4));
        } else if (c->type->kind == SL_BIGINT) {
            out[0] = sl_bigint((int64_t)load_be(data, 8));
        } else {
            uint64_t bits = load_be(data, 8);
            double x;
            memcpy(&x, &bits, sizeof x);
            out[0] = sl_double(x);
        }
        return 0;
    case SL_STRING:
        if (len > UINT32_MAX)
            return sl_error_set(err, SL_ERR_EVAL, SL_NOSPAN, "%s, column `%s`: record too long",
                                what, c->name);
        if (!sl_utf8_valid((const char *)data, len))
            return sl_error_set(err, SL_ERR_EVAL, SL_NOSPAN,
                                "%s, column `%s`: invalid UTF-8 in the string", what, c->name);
        out[0] = sl_string_copy(a, (const char *)data, len);
        return 0;
    case SL_BYTES:
        if (len > UINT32_MAX)
            return sl_error_set(err, SL_ERR_EVAL, SL_NOSPAN, "%s, column `%s`: record too long",
                                what, c->name);
        out[0] = sl_bytes_copy(a, data, len);
        return 0;
    default:
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN,
                            "%s, column `%s`: type %s is not supported", what, c->name,
                            sl_kind_name(c->type->kind));
    }
}

int sl_kafka_decoder_init(sl_decoder *d, sl_error *err)
{
    d->decode = kafka_decode;
    return 0;
}

static int kafka_encode(sl_encoder *e, const sl_value *vals, sl_buf *out, sl_error *err)
{
    if (e->ncols == 0)
        return 0;
    const sl_value *v = &vals[0];
    const sl_type *t = e->cols[0].type;
    if (v->kind == SL_NULL)
        return 0;       /* a NULL is an absent (null) record: no bytes */
    if (v->kind != t->kind)
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN,
                            "KAFKA: column `%s`: a %s value where %s is expected",
                            e->cols[0].name, sl_kind_name((sl_kind)v->kind),
                            sl_kind_name(t->kind));
    uint8_t b[8];
    switch (t->kind) {
    case SL_INT:
        store_be(b, (uint32_t)v->u.i32, 4);
        sl_buf_append(out, (const char *)b, 4);
        return 0;
    case SL_BIGINT:
        store_be(b, (uint64_t)v->u.i64, 8);
        sl_buf_append(out, (const char *)b, 8);
        return 0;
    case SL_DOUBLE: {
        uint64_t bits;
        memcpy(&bits, &v->u.d, sizeof bits);
        store_be(b, bits, 8);
        sl_buf_append(out, (const char *)b, 8);
        return 0;
    }
    case SL_STRING:
    case SL_BYTES:
        sl_buf_append(out, v->u.s.ptr, v->u.s.len);
        return 0;
    default:
        return sl_error_set(err, SL_ERR_INTERNAL, SL_NOSPAN,
                            "KAFKA: column `%s`: type %s is not supported", e->cols[0].name,
                            sl_kind_name(t->kind));
    }
}

int sl_kafka_encoder_init(sl_encoder *e, sl_error *err)
{
    e->encode = kafka_encode;
    return 0;
}
