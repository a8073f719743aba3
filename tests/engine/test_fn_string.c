/*
 * test_fn_string.c: the string functions of fn_string.c, end to end through
 * sl_eval_text (parser, compiler, evaluator, JSON rendering), including NULLs,
 * empty strings, out-of-range positions, multi-byte characters and bad
 * arguments; plus a direct check that invalid UTF-8 reaching an
 * implementation is handled without reading out of bounds.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "engine/expr.h"

#include "eval_cases.h"

Test(fn_string, case_and_len)
{
    static const ecase cases[] = {
        {"UCASE('hello World')", "\"HELLO WORLD\"", NULL},
        {"UCASE('héllo')", "\"HÉLLO\"", NULL},
        {"LCASE('ÀÉÎ MiXeD')", "\"àéî mixed\"", NULL},
        {"LCASE('')", "\"\"", NULL},
        {"UCASE(NULL)", "null", NULL},
        {"LEN('hello')", "5", NULL},
        {"LEN('héllo')", "5", NULL},
        {"LEN('好好')", "2", NULL},
        {"LEN('')", "0", NULL},
        {"LEN(CAST(NULL AS STRING))", "null", NULL},
        {"LEN(TO_BYTES('AQID', 'base64'))", "3", NULL},
        {"LENGTH('abc')", NULL, "LENGTH"},
    };
    RUN(cases);
}

Test(fn_string, trim)
{
    static const ecase cases[] = {
        {"TRIM('  a b  ')", "\"a b\"", NULL},
        {"TRIM(CONCAT(CHR(9), ' x ', CHR(10)))", "\"x\"", NULL},
        {"TRIM('   ')", "\"\"", NULL},
        {"TRIM('')", "\"\"", NULL},
        {"TRIM(NULL)", "null", NULL},
        {"LTRIM('  a  ')", "\"a  \"", NULL},
        {"RTRIM('  a  ')", "\"  a\"", NULL},
    };
    RUN(cases);
}

Test(fn_string, substring)
{
    static const ecase cases[] = {
        {"SUBSTRING('stream', 1, 4)", "\"stre\"", NULL},
        {"SUBSTRING('stream', 3)", "\"ream\"", NULL},
        {"SUBSTRING('stream', 0)", "\"stream\"", NULL},
        {"SUBSTRING('stream', 0, 2)", "\"st\"", NULL},
        {"SUBSTRING('stream', -3)", "\"eam\"", NULL},
        {"SUBSTRING('stream', -3, 2)", "\"ea\"", NULL},
        {"SUBSTRING('stream', -10)", "\"stream\"", NULL},
        {"SUBSTRING('stream', 10)", "\"\"", NULL},
        {"SUBSTRING('stream', 2, 0)", "\"\"", NULL},
        {"SUBSTRING('stream', 2, -1)", "\"\"", NULL},
        {"SUBSTRING('stream', 1, 100)", "\"stream\"", NULL},
        {"SUBSTRING('stream', 2147483647, 2147483647)", "\"\"", NULL},
        {"SUBSTRING('stream', -2147483647)", "\"stream\"", NULL},
        {"SUBSTRING('héllo', 2, 3)", "\"éll\"", NULL},
        {"SUBSTRING('', 1, 1)", "\"\"", NULL},
        {"SUBSTRING(NULL, 1)", "null", NULL},
        {"SUBSTRING('abc', NULL)", "null", NULL},
        {"SUBSTRING('abc', 1, NULL)", "null", NULL},
        {"FROM_BYTES(SUBSTRING(TO_BYTES('010203', 'hex'), 2), 'hex')", "\"0203\"", NULL},
        {"FROM_BYTES(SUBSTRING(TO_BYTES('010203', 'hex'), -1, 5), 'hex')", "\"03\"", NULL},
    };
    RUN(cases);
}

Test(fn_string, concat)
{
    static const ecase cases[] = {
        {"CONCAT('a', 'b', 'c')", "\"abc\"", NULL},
        {"CONCAT('a', NULL, 'c')", "\"ac\"", NULL},
        {"CONCAT('a')", "\"a\"", NULL},
        {"CONCAT(NULL, 'x')", "\"x\"", NULL},
        {"CONCAT('', '')", "\"\"", NULL},
        {"FROM_BYTES(CONCAT(TO_BYTES('01', 'hex'), TO_BYTES('02', 'hex')), 'hex')", "\"0102\"", NULL},
        {"CONCAT_WS(', ', 'apple', 'banana', NULL, 'date')", "\"apple, banana, date\"", NULL},
        {"CONCAT_WS(NULL, 'a', 'b')", "null", NULL},
        {"CONCAT_WS('-', NULL)", "\"\"", NULL},
        {"CONCAT_WS('-', 'x')", "\"x\"", NULL},
        {"CONCAT_WS('', 'a', 'b')", "\"ab\"", NULL},
        {"FROM_BYTES(CONCAT_WS(TO_BYTES('00', 'hex'), TO_BYTES('01', 'hex'), NULL, "
         "TO_BYTES('02', 'hex')), 'hex')", "\"010002\"", NULL},
        {"CONCAT_WS('-')", NULL, "CONCAT_WS"},
    };
    RUN(cases);
}

Test(fn_string, replace)
{
    static const ecase cases[] = {
        {"REPLACE('hello world', 'o', '0')", "\"hell0 w0rld\"", NULL},
        {"REPLACE('aaa', 'a', 'bb')", "\"bbbbbb\"", NULL},
        {"REPLACE('aaaa', 'aa', 'b')", "\"bb\"", NULL},
        {"REPLACE('abc', '', '-')", "\"-a-b-c-\"", NULL},
        {"REPLACE('', '', '-')", "\"-\"", NULL},
        {"REPLACE('abc', 'x', 'y')", "\"abc\"", NULL},
        {"REPLACE('ééé', 'é', 'e')", "\"eee\"", NULL},
        {"REPLACE('abc', 'b', '')", "\"ac\"", NULL},
        {"REPLACE('abc', NULL, 'y')", "null", NULL},
        {"REPLACE(NULL, 'a', 'y')", "null", NULL},
    };
    RUN(cases);
}

Test(fn_string, split)
{
    static const ecase cases[] = {
        {"SPLIT('a,b,,c', ',')", "[\"a\",\"b\",\"\",\"c\"]", NULL},
        {"SPLIT(',a,', ',')", "[\"\",\"a\",\"\"]", NULL},
        {"SPLIT('abc', '')", "[\"a\",\"b\",\"c\"]", NULL},
        {"SPLIT('héllo', '')", "[\"h\",\"é\",\"l\",\"l\",\"o\"]", NULL},
        {"SPLIT('abc', 'x')", "[\"abc\"]", NULL},
        {"SPLIT('', 'x')", "[\"\"]", NULL},
        {"SPLIT('', '')", "[\"\"]", NULL},
        {"SPLIT('a::b::', '::')", "[\"a\",\"b\",\"\"]", NULL},
        {"SPLIT('a.b|c', '.')", "[\"a\",\"b|c\"]", NULL},
        {"SPLIT(NULL, ',')", "null", NULL},
        {"SPLIT('a,b', NULL)", "null", NULL},
        {"TRANSFORM(SPLIT(TO_BYTES('0100020003', 'hex'), TO_BYTES('00', 'hex')), x => FROM_BYTES(x, 'hex'))",
         "[\"01\",\"02\",\"03\"]", NULL},
        {"ARRAY_LENGTH(SPLIT(TO_BYTES('0102', 'hex'), TO_BYTES('', 'hex')))", "2", NULL},
        {"SPLIT_TO_MAP('apple:=green/cherry:=red', '/', ':=')",
         "{\"apple\":\"green\",\"cherry\":\"red\"}", NULL},
        {"SPLIT_TO_MAP('a=1&b=2&a=3', '&', '=')", "{\"a\":\"3\",\"b\":\"2\"}", NULL},
        {"SPLIT_TO_MAP('a=1&&b&c=', '&', '=')", "{\"a\":\"1\",\"c\":\"\"}", NULL},
        {"SPLIT_TO_MAP('a=1=2', '&', '=')", "{\"a\":\"1\"}", NULL},
        {"SPLIT_TO_MAP('', '&', '=')", "{}", NULL},
        {"SPLIT_TO_MAP('a=1', '', '=')", "null", NULL},
        {"SPLIT_TO_MAP('a=1', '=', '=')", "null", NULL},
        {"SPLIT_TO_MAP(NULL, '&', '=')", "null", NULL},
    };
    RUN(cases);
}

Test(fn_string, pad)
{
    static const ecase cases[] = {
        {"LPAD('Foo', 7, 'Bar')", "\"BarBFoo\"", NULL},
        {"LPAD('Foo', 2, 'Bar')", "\"Fo\"", NULL},
        {"LPAD('', 2, 'Bar')", "\"Ba\"", NULL},
        {"LPAD('123', 5, '0')", "\"00123\"", NULL},
        {"LPAD('Foo', 0, 'x')", "\"\"", NULL},
        {"LPAD('é', 3, 'ü')", "\"üüé\"", NULL},
        {"LPAD('Foo', -1, 'x')", "null", NULL},
        {"LPAD('Foo', 5, '')", "null", NULL},
        {"LPAD('Foo', 5, NULL)", "null", NULL},
        {"LPAD('a', 2000000000, 'b')", NULL, "too large"},
        {"RPAD('Foo', 7, 'Bar')", "\"FooBarB\"", NULL},
        {"RPAD('Foo', 2, 'Bar')", "\"Fo\"", NULL},
        {"RPAD('', 2, 'Bar')", "\"Ba\"", NULL},
        {"RPAD('ab', 5, 'é')", "\"abééé\"", NULL},
        {"RPAD('Foo', -1, 'x')", "null", NULL},
        {"FROM_BYTES(LPAD(TO_BYTES('01', 'hex'), 3, TO_BYTES('ff', 'hex')), 'hex')", "\"FFFF01\"", NULL},
        {"FROM_BYTES(RPAD(TO_BYTES('010203', 'hex'), 2, TO_BYTES('ff', 'hex')), 'hex')", "\"0102\"", NULL},
    };
    RUN(cases);
}

Test(fn_string, mask)
{
    static const ecase cases[] = {
        {"MASK('My Test $123')", "\"Xx-Xxxx--nnn\"", NULL},
        {"MASK('My Test $123', '*', NULL, '1', NULL)", "\"*y *est $111\"", NULL},
        {"MASK('Ünïcödé9')", "\"Xxxxxxxn\"", NULL},
        {"MASK('')", "\"\"", NULL},
        {"MASK(NULL)", "null", NULL},
        {"MASK('AbC', 'ab', NULL, NULL, NULL)", NULL, "Invalid mask character"},
        {"MASK('AbC', '', NULL, NULL, NULL)", NULL, "Invalid mask character"},
        {"MASK_KEEP_LEFT('My Test $123', 4)", "\"My Txxx--nnn\"", NULL},
        {"MASK_KEEP_RIGHT('My Test $123', 4)", "\"Xx-Xxxx-$123\"", NULL},
        {"MASK_LEFT('My Test $123', 4)", "\"Xx-Xest $123\"", NULL},
        {"MASK_RIGHT('My Test $123', 4)", "\"My Test -nnn\"", NULL},
        {"MASK_RIGHT('My Test $123', 4, 'U', 'L', 'D', 'O')", "\"My Test ODDD\"", NULL},
        {"MASK_KEEP_LEFT('My Test $123', 4, NULL, '#', NULL, NULL)", "\"My T### $123\"", NULL},
        {"MASK_LEFT('abc', 10)", "\"xxx\"", NULL},
        {"MASK_KEEP_RIGHT('abc', 10)", "\"abc\"", NULL},
        {"MASK_LEFT('abc', 0)", "\"abc\"", NULL},
        {"MASK_LEFT('abc', -1)", NULL, "non-negative"},
        {"MASK_KEEP_LEFT(NULL, 2)", "null", NULL},
    };
    RUN(cases);
}

Test(fn_string, initcap)
{
    static const ecase cases[] = {
        {"INITCAP('the quick BROWN fox')", "\"The Quick Brown Fox\"", NULL},
        {"INITCAP('  hello   world')", "\"Hello   World\"", NULL},
        {"INITCAP('élan vital')", "\"Élan Vital\"", NULL},
        {"INITCAP('a-b c_d')", "\"A-b C_d\"", NULL},
        {"INITCAP('')", "\"\"", NULL},
        {"INITCAP(NULL)", "null", NULL},
    };
    RUN(cases);
}

Test(fn_string, instr)
{
    static const ecase cases[] = {
        {"INSTR('CORPORATE FLOOR', 'OR')", "2", NULL},
        {"INSTR('CORPORATE FLOOR', 'OR', 3)", "5", NULL},
        {"INSTR('CORPORATE FLOOR', 'OR', 3, 2)", "14", NULL},
        {"INSTR('CORPORATE FLOOR', 'OR', -3)", "5", NULL},
        {"INSTR('CORPORATE FLOOR', 'OR', -3, 2)", "2", NULL},
        {"INSTR('CORPORATE FLOOR', 'MISSING')", "0", NULL},
        {"INSTR('abcabc', 'c', -1)", "6", NULL},
        {"INSTR('abcabc', 'bc', -1, 2)", "2", NULL},
        {"INSTR('aaa', 'aa', 1, 2)", "2", NULL},
        {"INSTR('abc', 'c', 10)", "0", NULL},
        {"INSTR('abc', 'c', -10)", "0", NULL},
        {"INSTR('abc', 'b', 0)", "0", NULL},
        {"INSTR('abc', 'b', 1, 0)", "0", NULL},
        {"INSTR('abc', '')", "1", NULL},
        {"INSTR('héllo', 'l')", "3", NULL},
        {"INSTR(NULL, 'a')", "0", NULL},
        {"INSTR('a', NULL)", "0", NULL},
    };
    RUN(cases);
}

Test(fn_string, chr)
{
    static const ecase cases[] = {
        {"CHR(75)", "\"K\"", NULL},
        {"CHR('\\u004b')", "\"K\"", NULL},
        {"CHR(22909)", "\"好\"", NULL},
        {"CHR('\\u597d')", "\"好\"", NULL},
        {"CHR(128512)", "\"😀\"", NULL},
        {"CHR('\\ud83d\\ude00')", "\"😀\"", NULL},
        {"CHR(9)", "\"\\t\"", NULL},
        {"CHR(-1)", "null", NULL},
        {"CHR(1114112)", "null", NULL},
        {"CHR(55296)", "null", NULL},
        {"CHR('abc')", "null", NULL},
        {"CHR('\\u12')", "null", NULL},
        {"CHR('\\u00zz')", NULL, "unicode"},
        {"CHR(CAST(NULL AS INT))", "null", NULL},
    };
    RUN(cases);
}

Test(fn_string, encode)
{
    static const ecase cases[] = {
        {"ENCODE('ABC', 'ascii', 'hex')", "\"414243\"", NULL},
        {"ENCODE('414243', 'hex', 'utf8')", "\"ABC\"", NULL},
        {"ENCODE('0x414243', 'hex', 'ascii')", "\"ABC\"", NULL},
        {"ENCODE('X''414243''', 'hex', 'utf8')", "\"ABC\"", NULL},
        {"ENCODE('0x123', 'hex', 'base64')", "\"ASM=\"", NULL},
        {"ENCODE('SGVsbG8=', 'base64', 'utf8')", "\"Hello\"", NULL},
        {"ENCODE('SGVsbG8', 'base64', 'utf8')", "\"Hello\"", NULL},
        {"ENCODE('Hello', 'utf8', 'base64')", "\"SGVsbG8=\"", NULL},
        {"ENCODE('héllo', 'utf8', 'hex')", "\"68c3a96c6c6f\"", NULL},
        {"ENCODE('héllo', 'ascii', 'hex')", "\"683f6c6c6f\"", NULL},
        {"ENCODE('c3a9', 'hex', 'ascii')", "\"\xef\xbf\xbd\xef\xbf\xbd\"", NULL},
        {"ENCODE('ff', 'hex', 'utf8')", "\"\xef\xbf\xbd\"", NULL},
        {"ENCODE('41', 'HEX', 'UTF8')", "\"A\"", NULL},
        {"ENCODE('', 'utf8', 'hex')", "\"\"", NULL},
        {"ENCODE('zz', 'hex', 'utf8')", NULL, "hexadecimal"},
        {"ENCODE('abc', 'hex', 'utf8')", NULL, "Odd number"},
        {"ENCODE('a', 'foo', 'utf8')", NULL, "Supported input and output encodings"},
        {"ENCODE('a', 'hex', 'hex')", NULL, "Supported input and output encodings"},
        {"ENCODE(NULL, 'hex', 'utf8')", "null", NULL},
        {"ENCODE('a', NULL, 'utf8')", "null", NULL},
    };
    RUN(cases);
}

Test(fn_string, bytes_conversions)
{
    static const ecase cases[] = {
        {"FROM_BYTES(TO_BYTES('AQID', 'base64'), 'hex')", "\"010203\"", NULL},
        {"FROM_BYTES(TO_BYTES('0a0B', 'hex'), 'hex')", "\"0A0B\"", NULL},
        {"FROM_BYTES(TO_BYTES('héllo', 'utf8'), 'utf8')", "\"héllo\"", NULL},
        {"FROM_BYTES(TO_BYTES('héllo', 'ascii'), 'utf8')", "\"h?llo\"", NULL},
        {"FROM_BYTES(TO_BYTES('hi', 'ascii'), 'base64')", "\"aGk=\"", NULL},
        {"FROM_BYTES(TO_BYTES('ff', 'hex'), 'utf8')", "\"\xef\xbf\xbd\"", NULL},
        {"FROM_BYTES(TO_BYTES('41ff', 'hex'), 'ascii')", "\"A\xef\xbf\xbd\"", NULL},
        {"FROM_BYTES(TO_BYTES('', 'hex'), 'base64')", "\"\"", NULL},
        {"FROM_BYTES(TO_BYTES('AQID', 'BASE64'), 'HEX')", "\"010203\"", NULL},
        {"TO_BYTES('abc', 'klingon')", NULL, "Unknown encoding type"},
        {"FROM_BYTES(TO_BYTES('a', 'utf8'), 'klingon')", NULL, "Unknown encoding type"},
        {"TO_BYTES('abc', 'hex')", NULL, "Odd number"},
        {"TO_BYTES('0g', 'hex')", NULL, "hexadecimal"},
        {"TO_BYTES(NULL, 'hex')", "null", NULL},
        {"FROM_BYTES(TO_BYTES('01', 'hex'), NULL)", "null", NULL},
    };
    RUN(cases);
}

Test(fn_string, base64_is_mime_wrapped)
{
    /* 60 bytes give 80 base64 characters: Java's MIME encoder breaks after 76 */
    sl_buf want = SL_BUF_INIT;
    sl_buf_putc(&want, '"');
    for (int i = 0; i < 19; i++) sl_buf_puts(&want, "YWFh");
    sl_buf_puts(&want, "\\r\\nYWFh\"");
    ecase cases[] = {
        {"FROM_BYTES(TO_BYTES(LPAD('', 60, 'a'), 'utf8'), 'base64')", sl_buf_cstr(&want), NULL},
        {"LEN(TO_BYTES(FROM_BYTES(TO_BYTES(LPAD('', 60, 'a'), 'utf8'), 'base64'), 'base64'))", "60",
         NULL},
    };
    RUN(cases);
    sl_buf_fini(&want);
}

Test(fn_string, md5)
{
    static const ecase cases[] = {
        {"MD5('')", "\"d41d8cd98f00b204e9800998ecf8427e\"", NULL},
        {"MD5('abc')", "\"900150983cd24fb0d6963f7d28e17f72\"", NULL},
        {"MD5('The quick brown fox jumps over the lazy dog')",
         "\"9e107d9d372bb6826bd81d3542a419d6\"", NULL},
        {"MD5('12345678901234567890123456789012345678901234567890123456789012345678901234567890')",
         "\"57edf4a22be3c955ac49da2e2107b67a\"", NULL},
        {"MD5(LPAD('', 56, 'a'))", "\"3b0c8ac703f828b04c6c197006d17218\"", NULL},
        {"MD5(LPAD('', 64, 'a'))", "\"014842d480b571495a4a0363793f7367\"", NULL},
        {"MD5('héllo')", "\"be50e8478cf24ff3595bc7307fb91b50\"", NULL},
        {"MD5(NULL)", "null", NULL},
    };
    RUN(cases);
}

static bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

Test(fn_string, uuid)
{
    char first[64] = "";
    for (int k = 0; k < 2; k++) {
        sl_buf out = SL_BUF_INIT;
        sl_error err;
        cr_assert_eq(sl_eval_text("UUID()", &out, &err), 0, "%s", err.msg);
        const char *s = sl_buf_cstr(&out);
        cr_assert_eq(strlen(s), 38, "%s", s);     /* quoted 36 characters */
        for (int i = 1; i <= 36; i++) {
            if (i == 9 || i == 14 || i == 19 || i == 24) cr_expect_eq(s[i], '-', "%s", s);
            else cr_expect(is_hex(s[i]), "%s", s);
        }
        cr_expect_eq(s[15], '4', "version 4: %s", s);
        cr_expect(strchr("89ab", s[20]) != NULL, "RFC 4122 variant: %s", s);
        if (k == 0) snprintf(first, sizeof first, "%s", s);
        else cr_expect_str_neq(first, s, "two UUIDs are equal");
        sl_buf_fini(&out);
    }
    static const ecase cases[] = {
        {"UUID(TO_BYTES('00112233445566778899aabbccddeeff', 'hex'))",
         "\"00112233-4455-6677-8899-aabbccddeeff\"", NULL},
        {"UUID(TO_BYTES('00', 'hex'))", "null", NULL},
        {"UUID(CAST(NULL AS BYTES))", "null", NULL},
    };
    RUN(cases);
}

/* Strings are checked where they enter, but an implementation must still
 * never read past a value when handed invalid or truncated UTF-8. */
Test(fn_string, invalid_utf8_is_contained)
{
    const sl_registry *r = sl_registry_builtin();
    sl_arena *a = sl_arena_new(0);
    static const char bad[] = {'a', (char)0xC3, 'b', (char)0xE2, (char)0x82};  /* truncated tail */
    sl_value s = sl_string_ref(bad, sizeof bad);
    struct { const char *fn; int ov; int nargs; sl_value extra[3]; } calls[] = {
        {"LEN", 0, 1, {{0}}},
        {"UCASE", 0, 1, {{0}}},
        {"INITCAP", 0, 1, {{0}}},
        {"MASK", 0, 1, {{0}}},
        {"SUBSTRING", 1, 3, {sl_int(2), sl_int(10)}},
        {"SPLIT", 0, 2, {sl_string_ref("", 0)}},
        {"INSTR", 0, 2, {sl_string_ref("b", 1)}},
        {"LPAD", 0, 3, {sl_int(9), sl_string_ref(bad, sizeof bad)}},
        {"REPLACE", 0, 3, {sl_string_ref("", 0), sl_string_ref("-", 1)}},
    };
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
        const sl_function *f = sl_registry_find(r, calls[i].fn);
        cr_assert_not_null(f, "%s", calls[i].fn);
        sl_value args[4] = {s, calls[i].extra[0], calls[i].extra[1], calls[i].extra[2]};
        sl_error err;
        sl_error_clear(&err);
        sl_fcall c = {.arena = a, .err = &err, .nargs = calls[i].nargs};
        sl_value out;
        int rc = f->overloads[calls[i].ov].impl(&c, args, calls[i].nargs, &out);
        cr_expect_eq(rc, 0, "%s: %s", calls[i].fn, err.msg);
    }
    /* LEN counts each stray byte as one character */
    const sl_function *len = sl_registry_find(r, "LEN");
    sl_fcall c = {.arena = a};
    sl_value out;
    len->overloads[0].impl(&c, &s, 1, &out);
    cr_expect_eq(out.u.i32, 5);
    sl_arena_free(a);
}
