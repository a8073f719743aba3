/*
 * test_fn_url.c: the URL functions end to end through sl_eval_text:
 * encoding and decoding of parameters, each URL_EXTRACT_* on present,
 * absent and malformed parts, java.net.URI's host rules, NULLs.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "engine/expr.h"

#include "eval_cases.h"

Test(fn_url, encode_decode)
{
    static const ecase cases[] = {
        {"URL_ENCODE_PARAM('url encoded')", "\"url+encoded\"", NULL},
        {"URL_ENCODE_PARAM('a&b=c/d?')", "\"a%26b%3Dc%2Fd%3F\"", NULL},
        {"URL_ENCODE_PARAM('é')", "\"%C3%A9\"", NULL},
        {"URL_ENCODE_PARAM('-_.*~')", "\"-_.*%7E\"", NULL},
        {"URL_ENCODE_PARAM('')", "\"\"", NULL},
        {"URL_ENCODE_PARAM(NULL)", "null", NULL},
        {"URL_DECODE_PARAM('url%20encoded')", "\"url encoded\"", NULL},
        {"URL_DECODE_PARAM('a+b')", "\"a b\"", NULL},
        {"URL_DECODE_PARAM('%C3%A9t%c3%a9')", "\"été\"", NULL},
        {"URL_DECODE_PARAM(URL_ENCODE_PARAM('a b&c=é'))", "\"a b&c=é\"", NULL},
        {"URL_DECODE_PARAM('%FF')", "\"\xef\xbf\xbd\"", NULL},
        {"URL_DECODE_PARAM('%zz')", NULL, "illegal hex"},
        {"URL_DECODE_PARAM('100%')", NULL, "illegal hex"},
        {"URL_DECODE_PARAM(NULL)", "null", NULL},
    };
    RUN(cases);
}

Test(fn_url, extract_parts)
{
    static const ecase cases[] = {
        {"URL_EXTRACT_FRAGMENT('http://test.com#frag')", "\"frag\"", NULL},
        {"URL_EXTRACT_FRAGMENT('http://test.com#frag%20space')", "\"frag space\"", NULL},
        {"URL_EXTRACT_FRAGMENT('http://test.com')", "null", NULL},
        {"URL_EXTRACT_FRAGMENT('mailto:a@b.c#x')", "\"x\"", NULL},
        {"URL_EXTRACT_HOST('http://test.com:8080/path')", "\"test.com\"", NULL},
        {"URL_EXTRACT_HOST('http://user:pw@www.example.org/')", "\"www.example.org\"", NULL},
        {"URL_EXTRACT_HOST('http://127.0.0.1/')", "\"127.0.0.1\"", NULL},
        {"URL_EXTRACT_HOST('http://[::1]:80/')", "\"[::1]\"", NULL},
        {"URL_EXTRACT_HOST('http://my_host.com/')", "null", NULL},
        {"URL_EXTRACT_HOST('http://a.1b/')", "null", NULL},
        {"URL_EXTRACT_HOST('/relative/path')", "null", NULL},
        {"URL_EXTRACT_HOST('http://bad host/')", "null", NULL},
        {"URL_EXTRACT_PATH('http://test.com/path/to#a')", "\"/path/to\"", NULL},
        {"URL_EXTRACT_PATH('http://test.com')", "\"\"", NULL},
        {"URL_EXTRACT_PATH('http://test.com/a%20b?x=1')", "\"/a b\"", NULL},
        {"URL_EXTRACT_PATH('relative/p')", "\"relative/p\"", NULL},
        {"URL_EXTRACT_PATH('mailto:joe@example.com')", "null", NULL},
        {"URL_EXTRACT_PATH('http://test.com/a b')", "null", NULL},
        {"URL_EXTRACT_PATH('http://test.com/%zz')", "null", NULL},
        {"URL_EXTRACT_PORT('http://localhost:8080/path')", "8080", NULL},
        {"URL_EXTRACT_PORT('http://localhost/path')", "null", NULL},
        {"URL_EXTRACT_PORT('http://localhost:/path')", "null", NULL},
        {"URL_EXTRACT_PORT('http://localhost:99999999999/')", "null", NULL},
        {"URL_EXTRACT_PROTOCOL('http://test.com?a=foo&b=bar')", "\"http\"", NULL},
        {"URL_EXTRACT_PROTOCOL('HTTPS://x.org')", "\"HTTPS\"", NULL},
        {"URL_EXTRACT_PROTOCOL('test.com/x')", "null", NULL},
        {"URL_EXTRACT_PROTOCOL('1http://x')", "null", NULL},
        {"URL_EXTRACT_PROTOCOL('')", "null", NULL},
        {"URL_EXTRACT_QUERY('http://test.com?a=foo%20bar&b=baz')", "\"a=foo bar&b=baz\"", NULL},
        {"URL_EXTRACT_QUERY('http://test.com/p?q#f')", "\"q\"", NULL},
        {"URL_EXTRACT_QUERY('http://test.com?')", "\"\"", NULL},
        {"URL_EXTRACT_QUERY('http://test.com')", "null", NULL},
        {"URL_EXTRACT_HOST(NULL)", "null", NULL},
        {"URL_EXTRACT_PORT(NULL)", "null", NULL},
    };
    RUN(cases);
}

Test(fn_url, extract_parameter)
{
    static const ecase cases[] = {
        {"URL_EXTRACT_PARAMETER('http://test.com?a%20b=c%20d', 'a b')", "\"c d\"", NULL},
        {"URL_EXTRACT_PARAMETER('http://test.com?a=foo&b=bar', 'b')", "\"bar\"", NULL},
        {"URL_EXTRACT_PARAMETER('http://test.com?a=foo&b', 'b')", "\"\"", NULL},
        {"URL_EXTRACT_PARAMETER('http://test.com?a=1&a=2', 'a')", "\"1\"", NULL},
        {"URL_EXTRACT_PARAMETER('http://test.com?a=x=y', 'a')", "\"x=y\"", NULL},
        {"URL_EXTRACT_PARAMETER('http://test.com?a=foo', 'c')", "null", NULL},
        {"URL_EXTRACT_PARAMETER('http://test.com', 'a')", "null", NULL},
        {"URL_EXTRACT_PARAMETER('http://test.com?a=1', NULL)", "null", NULL},
        {"URL_EXTRACT_PARAMETER('not a url?a=1', 'a')", "null", NULL},
    };
    RUN(cases);
}
