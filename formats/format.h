/*
 * format.h: schema-driven codecs for record keys and values, as ksqlDB's
 * serialization formats (JSON, DELIMITED, KAFKA, NONE).
 *
 * What it does:
 *  - decodes the bytes of a record key or value into one sl_value per
 *    column of a schema, materializing only the columns a query wants
 *    (the others are left NULL and, for JSON, skipped without being built);
 *  - encodes a row's values back into bytes of the same format;
 *  - parses format names and delimiters, and checks that a format can carry
 *    a schema, with ksqlDB's rules and messages in spirit.
 *
 * What it does not do: AVRO / PROTOBUF / JSON_SR (schema registry formats),
 * headers, timestamps or keys of records (the runtime owns those), or
 * TIMESTAMP_FORMAT-style column parsing (datetime.h has the patterns).
 *
 * Formats:
 *  JSON       an object whose fields match columns: a field whose name equals
 *             the column name wins, else a field whose upper-cased name equals
 *             it (so unquoted columns match case-insensitively, quoted ones
 *             exactly). Unknown fields are skipped; missing fields are NULL.
 *             A single column may be "unwrapped": the whole JSON value is
 *             that column (WRAP_SINGLE_VALUE=false for values; the default
 *             for a key with one column, as ksqlDB). Numbers convert exactly
 *             (DECIMAL from the digits, never through a double); strings that
 *             hold numbers are accepted for numeric, TIMESTAMP, DATE and TIME
 *             columns; TIMESTAMP is epoch milliseconds, DATE epoch days, TIME
 *             milliseconds of the day; BYTES is a base64 string; a STRING
 *             column takes any JSON value (numbers and booleans as their text,
 *             objects as compact JSON, arrays as "[a, b]" like ksqlDB).
 *  DELIMITED  RFC 4180 (quotes, doubled quotes, delimiter and line breaks
 *             inside quotes, a final CRLF or LF tolerated), columns by
 *             position, an empty field is NULL for every type (ksqlDB:
 *             STRING too), no nested types. TIMESTAMP / DATE / TIME as numbers
 *             (ms / days / ms), BYTES as base64, BOOLEAN true when the text
 *             is "true" in any case (Java's Boolean.parseBoolean).
 *  KAFKA      one column with Kafka's Java serializers: INT 4 bytes and
 *             BIGINT 8 bytes big-endian, DOUBLE 8 bytes IEEE-754 big-endian,
 *             STRING the UTF-8 bytes, BYTES the bytes as they are.
 *  NONE       no columns: nothing is decoded or encoded.
 *
 * Records that are absent (data == NULL, a tombstone or a key-less record)
 * decode to all-NULL values for every format.
 *
 * Ownership: a decoder / encoder copies what it needs from the columns at
 * creation (names and types), so the caller's schema may go away. Decoded
 * strings, arrays, maps and structs live in the batch arena passed to
 * sl_decode, never in the input bytes. A decoder or encoder keeps scratch
 * state: use one per thread. _free accepts NULL.
 *
 * Errors: functions return 0 or -1 with err filled. A decode error has code
 * SL_ERR_EVAL, no span (SL_NOSPAN: the bytes are not statement text), and a
 * message naming the format, the column (and the path inside it), what was
 * wrong, and the byte position in the record. Schema / option errors from
 * sl_format_check and the constructors have code SL_ERR_ANALYSIS.
 */
#ifndef SL_FORMAT_H
#define SL_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/arena.h"
#include "engine/buf.h"
#include "engine/error.h"
#include "engine/schema.h"
#include "engine/value.h"

typedef enum sl_format_kind {
    SL_FMT_NONE = 0,
    SL_FMT_JSON,
    SL_FMT_DELIMITED,
    SL_FMT_KAFKA
} sl_format_kind;

typedef enum sl_wrap {
    SL_WRAP_DEFAULT = 0,    /* not given: values wrapped, single-column keys unwrapped */
    SL_WRAP_TRUE,           /* WRAP_SINGLE_VALUE=true */
    SL_WRAP_FALSE           /* WRAP_SINGLE_VALUE=false */
} sl_wrap;

typedef struct sl_format_opts {
    sl_format_kind kind;
    char delimiter;         /* DELIMITED; 0 means ',' */
    sl_wrap wrap_single_value;
    bool is_key;            /* the codec is for the record key (ksqlDB's key rules) */
    bool borrow_input;      /* decoding: strings without escapes may point into the input
                               bytes instead of a copy (the input must outlive the values;
                               the runtime's records live in the batch arena) */
} sl_format_opts;

/* "JSON", "DELIMITED", "KAFKA", "NONE", case-insensitive. -1 with err
 * (SL_ERR_ANALYSIS) for anything else. */
int sl_format_parse_kind(const char *name, size_t len, sl_format_kind *out, sl_error *err);
const char *sl_format_kind_name(sl_format_kind k);     /* "JSON" ... */
/* A VALUE_DELIMITER / KEY_DELIMITER: one character, or TAB or SPACE
 * (case-insensitive). -1 with err (SL_ERR_ANALYSIS) otherwise. */
int sl_format_parse_delimiter(const char *text, size_t len, char *out, sl_error *err);

/*
 * Whether the format can carry these columns (the key columns, or the value
 * columns, of a schema), and whether the options fit them:
 *  NONE: no columns; KAFKA: at most one column, of INT, BIGINT, DOUBLE,
 *  STRING or BYTES; DELIMITED: no ARRAY / MAP / STRUCT; JSON: MAP keys are
 *  STRING; WRAP_SINGLE_VALUE only for values, false only with one column,
 *  true only for JSON. -1 with err (SL_ERR_ANALYSIS) naming what is wrong.
 */
int sl_format_check(const sl_format_opts *opts, const sl_column *cols, int ncols,
                    sl_error *err);
/* Whether, with these options and this many columns, JSON reads and writes a
 * bare value instead of an object. */
bool sl_format_unwrapped(const sl_format_opts *opts, int ncols);

typedef struct sl_decoder sl_decoder;
typedef struct sl_encoder sl_encoder;

/*
 * A decoder for records of `ncols` columns. wanted[i] says whether column i
 * is materialized (NULL: all are). Runs sl_format_check first. Returns an
 * owned decoder (free with sl_decoder_free) or NULL with err set.
 */
sl_decoder *sl_decoder_new(const sl_format_opts *opts, const sl_column *cols, int ncols,
                           const bool *wanted, sl_error *err);
/*
 * Decodes `len` bytes at `data` (not NUL-terminated; never read past len)
 * into out[0..ncols-1]: wanted columns get their value or NULL, the others
 * NULL. Variable-size contents go into batch_arena. On -1, out holds
 * partial values that must not be used.
 */
int sl_decode(sl_decoder *d, const void *data, size_t len, sl_arena *batch_arena,
              sl_value *out, sl_error *err);
void sl_decoder_free(sl_decoder *d);

/*
 * An encoder for rows of `ncols` columns (vals[i] is of cols[i].type, or
 * NULL). Returns an owned encoder or NULL with err set.
 */
sl_encoder *sl_encoder_new(const sl_format_opts *opts, const sl_column *cols, int ncols,
                           sl_error *err);
/* Appends the encoding of vals to out (which is not reset first). -1 with
 * err (and out as it was) when a value's kind is not its column's type.
 * KAFKA writes nothing for a NULL: the caller sends an absent (null) record. */
int sl_encode(sl_encoder *e, const sl_value *vals, sl_buf *out, sl_error *err);
void sl_encoder_free(sl_encoder *e);

/*
 * Pass-through of unchanged values. A JSON decoder can report, per column,
 * the exact input text of the value it decoded when that text is what the
 * JSON encoder would write for the value (a column of the same type):
 * integers (INT, BIGINT, TIMESTAMP, DATE, TIME) written as plain JSON
 * integers (no leading zero, no fraction or exponent, not -0); DECIMAL as
 * plain digits with exactly `scale` fraction digits (not a negative zero);
 * strings of a STRING column that hold no backslash (the quotes included).
 * Every other value (NULL, a number in another form such as 1e3 or 1.50
 * for DECIMAL(3, 1), an escaped string, a string holding a number, other
 * types) has len 0, and the encoder renders it. Writing the text back
 * instead of re-rendering the value gives the same bytes, without the work.
 */
typedef struct sl_rawtext {
    const char *ptr;            /* into the decoded input bytes */
    uint32_t len;               /* 0: no reusable text */
} sl_rawtext;

/*
 * sl_decode, and raw[0..ncols) as above (JSON value and key decoders with
 * borrow_input set; every other decoder gives len 0 for all columns). The
 * text points into `data`, which must outlive its use.
 */
int sl_decode_raw(sl_decoder *d, const void *data, size_t len, sl_arena *batch_arena,
                  sl_value *out, sl_rawtext *raw, sl_error *err);
/*
 * sl_encode, where raw (NULL: none) may give, per column, text that is
 * exactly what the encoder would write for vals[i]: the JSON encoder copies
 * it when vals[i] is not NULL (sl_decode_raw's text of an input column of
 * the same type, for an output column that is that input column
 * unchanged). Other encoders ignore raw.
 */
int sl_encode_raw(sl_encoder *e, const sl_value *vals, const sl_rawtext *raw, sl_buf *out,
                  sl_error *err);

#endif
