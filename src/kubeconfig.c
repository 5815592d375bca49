/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kubeconfig.c - the credentials of k8s.c: a kubeconfig file (YAML as kubectl writes it, read by
 * a small strict reader into a cJSON tree, or JSON) or the in-cluster service account. Every size
 * is bounded; tokens and keys never reach a message and are wiped before they are freed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/k8s.h"

#define YAML_DEPTH_MAX 32	/* kubeconfig nests 4 deep */
#define YAML_KEYS_MAX 4096	/* keys of one mapping (duplicates are searched linearly) */
#define B64_LEN(n) (((n) + 2) / 3 * 4)
#define HOST_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:"

DEFINE_CLEANUP(cJSON *, cJSON_Delete)

static void wipe_free(char *s, size_t len)
{
	if (!s)
		return;
	explicit_bzero(s, len);
	free(s);
}

static void secret_free(char *s)
{
	if (s)
		wipe_free(s, strlen(s));
}

/* ------------------------------------------------------------------------------------ base64 */

static int b64_value(unsigned char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

int k8s_base64_decode(const char *in, size_t len, char **out, size_t *out_len)
{
	size_t pad = 0, n, o = 0;
	char *buf;

	*out = NULL;
	*out_len = 0;
	if (len % 4)
		return -EINVAL;
	if (len && in[len - 1] == '=')
		pad = in[len - 2] == '=' ? 2 : 1;
	n = len / 4 * 3 - pad;
	buf = malloc(n + 1);
	if (!buf)
		return -ENOMEM;
	for (size_t i = 0; i < len; i += 4) {
		size_t used = i + 4 == len ? 4 - pad : 4;	/* characters that carry bits */
		uint32_t w = 0;

		for (size_t j = 0; j < 4; j++) {
			int v = j < used ? b64_value((unsigned char) in[i + j]) : 0;

			if (v < 0)
				goto bad;
			w = w << 6 | (uint32_t) v;
		}
		/* the bits past the last whole byte must be zero (one encoding per input) */
		if ((used == 3 && (w & 0xff)) || (used == 2 && (w & 0xffff)))
			goto bad;
		buf[o++] = (char) (w >> 16);
		if (used > 2)
			buf[o++] = (char) (w >> 8 & 0xff);
		if (used > 3)
			buf[o++] = (char) (w & 0xff);
	}
	buf[o] = '\0';
	*out = buf;
	*out_len = o;
	return 0;
bad:
	wipe_free(buf, n + 1);
	return -EINVAL;
}

/* ------------------------------------------------------------------------- the YAML subset */

/* One piece of block structure: a "- " sequence entry, or the rest of a line from col on. */
struct ytok {
	unsigned line;
	unsigned col;
	bool dash;		/* "- ": the entry's content, if on this line, is the next token */
	const char *s, *e;	/* !dash: the content, up to the end of the line */
};

struct yaml {
	struct ytok *t;
	size_t n, cap, pos;
	unsigned depth;
	char *why;
	size_t why_len;
};

static int yaml_fail(struct yaml *y, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int yaml_fail(struct yaml *y, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!y->why_len)
		return -EINVAL;
	n = snprintf(y->why, y->why_len, "line %u: ", line);
	if (n >= 0 && (size_t) n < y->why_len) {
		va_start(ap, fmt);
		(void) vsnprintf(y->why + n, y->why_len - (size_t) n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int yaml_push(struct yaml *y, unsigned line, unsigned col, bool dash, const char *s,
		     const char *e)
{
	if (y->n == y->cap) {
		size_t cap = y->cap ? y->cap * 2 : 64;
		struct ytok *t = reallocarray(y->t, cap, sizeof(*t));

		if (!t)
			return -ENOMEM;
		y->t = t;
		y->cap = cap;
	}
	y->t[y->n++] = (struct ytok) { .line = line, .col = col, .dash = dash, .s = s, .e = e };
	return 0;
}

/* "---" or "..." alone (or before a comment) at the start of a line */
static bool yaml_marker(const char *s, const char *e, const char *m)
{
	return e - s >= 3 && !memcmp(s, m, 3) && (e - s == 3 || s[3] == ' ' || s[3] == '\t');
}

static bool blank_or_comment(const char *s, const char *e)
{
	while (s < e && *s == ' ')
		s++;
	return s == e || *s == '#';
}

/* Splits the text into tokens: blank lines and comments dropped, "- " entries split off. */
static int yaml_lex(struct yaml *y, const char *p, const char *end)
{
	bool started = false;
	unsigned line = 0;
	int r;

	while (p < end) {
		const char *bol = p, *eol = memchr(p, '\n', (size_t) (end - p)), *s, *e;

		if (!eol)
			eol = end;
		line++;
		e = eol;
		if (e > bol && e[-1] == '\r')
			e--;
		p = eol < end ? eol + 1 : end;
		for (s = bol; s < e; s++) {
			unsigned char ch = (unsigned char) *s;

			if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
				return yaml_fail(y, line, "control character 0x%02x", ch);
		}
		for (s = bol; s < e && *s == ' '; s++)
			;
		if (s < e && *s == '\t')
			return yaml_fail(y, line, "tab in the indentation (YAML indents with spaces only)");
		if (s == e || *s == '#')
			continue;
		if (s == bol && yaml_marker(s, e, "---")) {
			if (started)
				return yaml_fail(y, line, "a second document ('---') is not supported");
			if (!blank_or_comment(s + 3, e))
				return yaml_fail(y, line, "content after '---' is not supported");
			started = true;
			continue;
		}
		if (s == bol && yaml_marker(s, e, "..."))
			return yaml_fail(y, line, "the document end marker '...' is not supported");
		if (s == bol && *s == '%')
			return yaml_fail(y, line, "directives ('%%') are not supported");
		started = true;
		for (;;) {
			unsigned col = (unsigned) (s - bol);

			if (*s == '-' && (s + 1 == e || s[1] == ' ' || s[1] == '\t')) {
				if ((r = yaml_push(y, line, col, true, NULL, NULL)) < 0)
					return r;
				for (s++; s < e && *s == ' '; s++)
					;
				if (s < e && *s == '\t')
					return yaml_fail(y, line, "tab after '-' (YAML separates with spaces)");
				if (s == e || *s == '#')
					break;
				continue;
			}
			if ((r = yaml_push(y, line, col, false, s, e)) < 0)
				return r;
			break;
		}
	}
	return 0;
}

static size_t utf8_put(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char) cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char) (0xc0 | cp >> 6);
		o[1] = (char) (0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char) (0xe0 | cp >> 12);
		o[1] = (char) (0x80 | (cp >> 6 & 0x3f));
		o[2] = (char) (0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char) (0xf0 | cp >> 18);
	o[1] = (char) (0x80 | (cp >> 12 & 0x3f));
	o[2] = (char) (0x80 | (cp >> 6 & 0x3f));
	o[3] = (char) (0x80 | (cp & 0x3f));
	return 4;
}

static int hex_value(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/*
 * A double-quoted scalar from s (at the '"') to its closing quote on the same line, with YAML's
 * escapes (all that Go's YAML emitter writes). *after points past the closing quote. The output
 * is at most 1.5 times the input ("\L" is 3 bytes of UTF-8).
 */
static int yaml_dquoted(struct yaml *y, unsigned line, const char *s, const char *e, char **out,
			const char **after)
{
	_cleanup_free_ char *buf = malloc((size_t) (e - s) * 2 + 1);
	size_t o = 0;

	if (!buf)
		return -ENOMEM;
	for (s++; s < e && *s != '"'; s++) {
		uint32_t cp = 0;
		int digits = 0;

		if (*s != '\\') {
			buf[o++] = *s;
			continue;
		}
		if (++s == e)
			break;
		switch (*s) {
		case '0':
			return yaml_fail(y, line, "'\\0' (NUL) is not allowed in a string");
		case 'a': buf[o++] = '\a'; break;
		case 'b': buf[o++] = '\b'; break;
		case 't': case '\t': buf[o++] = '\t'; break;
		case 'n': buf[o++] = '\n'; break;
		case 'v': buf[o++] = '\v'; break;
		case 'f': buf[o++] = '\f'; break;
		case 'r': buf[o++] = '\r'; break;
		case 'e': buf[o++] = 0x1b; break;
		case ' ': case '"': case '/': case '\\': buf[o++] = *s; break;
		case 'N': o += utf8_put(buf + o, 0x85); break;
		case '_': o += utf8_put(buf + o, 0xa0); break;
		case 'L': o += utf8_put(buf + o, 0x2028); break;
		case 'P': o += utf8_put(buf + o, 0x2029); break;
		case 'x': digits = 2; break;
		case 'u': digits = 4; break;
		case 'U': digits = 8; break;
		default:
			return yaml_fail(y, line, "unknown escape '\\%c' in a double-quoted string", *s);
		}
		if (!digits)
			continue;
		if (e - s <= digits)
			return yaml_fail(y, line, "escape '\\%c' needs %d hex digits", *s, digits);
		for (int i = 1; i <= digits; i++) {
			int v = hex_value(s[i]);

			if (v < 0)
				return yaml_fail(y, line, "escape '\\%c' needs %d hex digits", *s, digits);
			cp = cp << 4 | (uint32_t) v;
		}
		s += digits;
		if (cp == 0)
			return yaml_fail(y, line, "'\\0' (NUL) is not allowed in a string");
		if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return yaml_fail(y, line, "escape of U+%04X, which is not a character", cp);
		o += utf8_put(buf + o, cp);
	}
	if (s == e)
		return yaml_fail(y, line,
				 "unterminated double-quoted string (multi-line strings are not supported)");
	buf[o] = '\0';
	*after = s + 1;
	*out = TAKE_PTR(buf);
	return 0;
}

/* A single-quoted scalar ('' is a quote), closed on the same line. */
static int yaml_squoted(struct yaml *y, unsigned line, const char *s, const char *e, char **out,
			const char **after)
{
	_cleanup_free_ char *buf = malloc((size_t) (e - s) + 1);
	size_t o = 0;

	if (!buf)
		return -ENOMEM;
	for (s++; s < e; s++) {
		if (*s == '\'') {
			if (s + 1 < e && s[1] == '\'') {
				buf[o++] = *s++;
				continue;
			}
			break;
		}
		buf[o++] = *s;
	}
	if (s == e)
		return yaml_fail(y, line,
				 "unterminated single-quoted string (multi-line strings are not supported)");
	buf[o] = '\0';
	*after = s + 1;
	*out = TAKE_PTR(buf);
	return 0;
}

/* After a complete value: only spaces, then the end or a comment. */
static int yaml_tail(struct yaml *y, unsigned line, const char *s, const char *e, const char *what)
{
	const char *p = s;

	while (p < e && *p == ' ')
		p++;
	if (p == e || (*p == '#' && p > s))
		return 0;
	if (*p == '\t')
		return yaml_fail(y, line, "tab after %s (YAML separates with spaces)", what);
	return yaml_fail(y, line, "unexpected text after %s", what);
}

/* A plain scalar's end: before " #" or the end of the line, trailing spaces dropped. */
static const char *plain_end(const char *s, const char *e)
{
	const char *p;

	for (p = s; p < e; p++)
		if (*p == '#' && p > s && p[-1] == ' ')
			break;
	while (p > s && p[-1] == ' ')
		p--;
	return p;
}

/* Rejects what a plain scalar cannot be (or what this reader does not support). */
static int plain_check(struct yaml *y, unsigned line, const char *s, const char *e)
{
	bool sp = s + 1 == e || s[1] == ' ' || s[1] == '\t';

	switch (*s) {
	case '&':
		return yaml_fail(y, line, "anchors ('&') are not supported");
	case '*':
		return yaml_fail(y, line, "aliases ('*') are not supported");
	case '!':
		return yaml_fail(y, line, "tags ('!') are not supported");
	case '|': case '>':
		return yaml_fail(y, line, "block scalars ('%c') are not supported", *s);
	case '%': case '@': case '`':
		return yaml_fail(y, line, "a plain value cannot start with '%c' (quote it)", *s);
	case ',': case ']': case '}':
		return yaml_fail(y, line, "unexpected '%c'", *s);
	case '{': case '[':
		return yaml_fail(y, line, "flow collections are supported only empty ('{}', '[]')");
	case '?':
		if (sp)
			return yaml_fail(y, line, "complex keys ('? ') are not supported");
		break;
	case ':':
		if (sp)
			return yaml_fail(y, line, "a value cannot start with ': '");
		break;
	case '-':
		if (sp)
			return yaml_fail(y, line, "a sequence cannot start on a key's line");
		break;
	}
	for (const char *p = s; p < e; p++) {
		if (*p == '\t')
			return yaml_fail(y, line, "tab in a plain value (quote it)");
		if (*p == ':' && (p + 1 == e || p[1] == ' '))
			return yaml_fail(y, line, "': ' in a plain value (quote it, or fix the nesting)");
	}
	return 0;
}

static bool word_in(const char *s, size_t n, const char *const *words)
{
	for (; *words; words++)
		if (strlen(*words) == n && !memcmp(s, *words, n))
			return true;
	return false;
}

/* A value on the line of its key or its "- ": quoted, plain or an empty flow collection. */
static int yaml_scalar(struct yaml *y, unsigned line, const char *s, const char *e, cJSON **out)
{
	static const char *const nulls[] = { "~", "null", "Null", "NULL", NULL };
	static const char *const trues[] = { "true", "True", "TRUE", NULL };
	static const char *const falses[] = { "false", "False", "FALSE", NULL };
	_cleanup_free_ char *str = NULL;
	const char *after, *pe;
	int r;

	if (*s == '"' || *s == '\'') {
		r = *s == '"' ? yaml_dquoted(y, line, s, e, &str, &after) :
				yaml_squoted(y, line, s, e, &str, &after);
		if (r < 0 || (r = yaml_tail(y, line, after, e, "a quoted string")) < 0)
			return r;
		*out = cJSON_CreateString(str);
		explicit_bzero(str, strlen(str));
		return *out ? 0 : -ENOMEM;
	}
	if (*s == '{' || *s == '[') {
		char close = *s == '{' ? '}' : ']';

		for (after = s + 1; after < e && *after == ' '; after++)
			;
		if (after == e || *after != close)
			return yaml_fail(y, line, "flow collections are supported only empty ('{}', '[]')");
		if ((r = yaml_tail(y, line, after + 1, e, "an empty collection")) < 0)
			return r;
		*out = close == '}' ? cJSON_CreateObject() : cJSON_CreateArray();
		return *out ? 0 : -ENOMEM;
	}
	pe = plain_end(s, e);
	if ((r = plain_check(y, line, s, pe)) < 0)
		return r;
	if (word_in(s, (size_t) (pe - s), nulls))
		*out = cJSON_CreateNull();
	else if (word_in(s, (size_t) (pe - s), trues))
		*out = cJSON_CreateTrue();
	else if (word_in(s, (size_t) (pe - s), falses))
		*out = cJSON_CreateFalse();
	else {
		str = strndup(s, (size_t) (pe - s));
		if (!str)
			return -ENOMEM;
		*out = cJSON_CreateString(str);
		explicit_bzero(str, strlen(str));
	}
	return *out ? 0 : -ENOMEM;
}

/*
 * Whether token t is "key: [value]": 1 with *key (allocated) and *val (where the value starts,
 * NULL when the line ends after the colon), 0 when it is a lone scalar.
 */
static int yaml_key(struct yaml *y, const struct ytok *t, char **key, const char **val)
{
	_cleanup_free_ char *k = NULL;
	const char *s = t->s, *e = t->e, *p;
	int r;

	if (*s == '"' || *s == '\'') {
		r = *s == '"' ? yaml_dquoted(y, t->line, s, e, &k, &p) :
				yaml_squoted(y, t->line, s, e, &k, &p);
		if (r < 0)
			return r;
		while (p < e && *p == ' ')
			p++;
		if (p == e || *p != ':' || (p + 1 < e && p[1] != ' ' && p[1] != '\t'))
			return 0;
	} else {
		for (p = s; p < e; p++) {
			if (*p == '#' && p > s && p[-1] == ' ')
				return 0;
			if (*p == ':' && (p + 1 == e || p[1] == ' ' || p[1] == '\t'))
				break;
		}
		if (p == e)
			return 0;
		if (p == s)
			return yaml_fail(y, t->line, "empty key");
		if ((r = plain_check(y, t->line, s, plain_end(s, p))) < 0)
			return r;
		k = strndup(s, (size_t) (plain_end(s, p) - s));
		if (!k)
			return -ENOMEM;
	}
	p++;	/* the colon */
	if (p < e && *p == '\t')
		return yaml_fail(y, t->line, "tab after ':' (YAML separates with spaces)");
	while (p < e && *p == ' ')
		p++;
	*val = p == e || *p == '#' ? NULL : p;
	*key = TAKE_PTR(k);
	return 1;
}

static int yaml_block(struct yaml *y, cJSON **out);

static int yaml_add(cJSON *to, const char *key, cJSON *v)
{
	if (key ? cJSON_AddItemToObject(to, key, v) : cJSON_AddItemToArray(to, v))
		return 0;
	cJSON_Delete(v);
	return -ENOMEM;
}

/* A block mapping whose keys are at column col. */
static int yaml_map(struct yaml *y, unsigned col, cJSON **out)
{
	_cleanup_(cJSON_Deletep) cJSON *map = cJSON_CreateObject();
	unsigned keys = 0;
	int r;

	if (!map)
		return -ENOMEM;
	while (y->pos < y->n) {
		const struct ytok *t = &y->t[y->pos], *next;
		_cleanup_free_ char *key = NULL;
		const char *val = NULL;
		cJSON *v = NULL;

		if (t->col < col)
			break;
		if (t->col > col)
			return yaml_fail(y, t->line,
					 "unexpected indentation (multi-line values are not supported)");
		if (t->dash)
			return yaml_fail(y, t->line, "a sequence entry where a key was expected");
		if ((r = yaml_key(y, t, &key, &val)) < 0)
			return r;
		if (r == 0)
			return yaml_fail(y, t->line, "a value where 'key: value' was expected");
		if (cJSON_GetObjectItemCaseSensitive(map, key))
			return yaml_fail(y, t->line, "duplicate key '%s'", key);
		if (++keys > YAML_KEYS_MAX)
			return yaml_fail(y, t->line, "more than %d keys in one mapping", YAML_KEYS_MAX);
		y->pos++;
		next = y->pos < y->n ? &y->t[y->pos] : NULL;
		if (val)
			r = yaml_scalar(y, t->line, val, t->e, &v);
		else if (next && (next->col > col || (next->col == col && next->dash)))
			r = yaml_block(y, &v);	/* nested, or a sequence at the key's column */
		else
			r = (v = cJSON_CreateNull()) ? 0 : -ENOMEM;
		if (r < 0 || (r = yaml_add(map, key, v)) < 0)
			return r;
	}
	*out = TAKE_PTR(map);
	return 0;
}

/* A block sequence whose "- " are at column col. */
static int yaml_seq(struct yaml *y, unsigned col, cJSON **out)
{
	_cleanup_(cJSON_Deletep) cJSON *seq = cJSON_CreateArray();
	int r;

	if (!seq)
		return -ENOMEM;
	while (y->pos < y->n) {
		const struct ytok *t = &y->t[y->pos];
		cJSON *v = NULL;

		if (t->col < col || (t->col == col && !t->dash))
			break;
		if (t->col > col)
			return yaml_fail(y, t->line,
					 "unexpected indentation (multi-line values are not supported)");
		y->pos++;
		if (y->pos < y->n && y->t[y->pos].col > col)
			r = yaml_block(y, &v);
		else
			r = (v = cJSON_CreateNull()) ? 0 : -ENOMEM;
		if (r < 0 || (r = yaml_add(seq, NULL, v)) < 0)
			return r;
	}
	*out = TAKE_PTR(seq);
	return 0;
}

/* The node that starts at the current token: a sequence, a mapping or one scalar. */
static int yaml_block(struct yaml *y, cJSON **out)
{
	const struct ytok *t = &y->t[y->pos];
	_cleanup_free_ char *key = NULL;
	const char *val;
	int r;

	if (y->depth >= YAML_DEPTH_MAX)
		return yaml_fail(y, t->line, "nested deeper than %d levels", YAML_DEPTH_MAX);
	y->depth++;
	if (t->dash)
		r = yaml_seq(y, t->col, out);
	else if ((r = yaml_key(y, t, &key, &val)) > 0)
		r = yaml_map(y, t->col, out);
	else if (r == 0) {
		y->pos++;
		r = yaml_scalar(y, t->line, t->s, t->e, out);
	}
	y->depth--;
	return r;
}

static void tree_wipe(cJSON *n)
{
	for (; n; n = n->next) {
		if (cJSON_IsString(n) && n->valuestring)
			explicit_bzero(n->valuestring, strlen(n->valuestring));
		tree_wipe(n->child);
	}
}

static void tree_free(cJSON *n)
{
	if (!n)
		return;
	tree_wipe(n);
	cJSON_Delete(n);
}

/* JSON input: one object, nothing after it, no duplicate keys (as the YAML reader). */
static int json_duplicates(const cJSON *n, char *why, size_t why_len)
{
	for (; n; n = n->next) {
		if (cJSON_IsObject(n)) {
			unsigned keys = 0;

			for (const cJSON *a = n->child; a; a = a->next) {
				if (++keys > YAML_KEYS_MAX) {
					(void) snprintf(why, why_len, "more than %d keys in one object",
							YAML_KEYS_MAX);
					return -EINVAL;
				}
				for (const cJSON *b = n->child; b != a; b = b->next)
					if (!strcmp(a->string, b->string)) {
						(void) snprintf(why, why_len, "duplicate key '%s'",
								a->string);
						return -EINVAL;
					}
			}
		}
		if (json_duplicates(n->child, why, why_len) < 0)
			return -EINVAL;
	}
	return 0;
}

static int json_parse(const char *text, size_t len, cJSON **out, char *why, size_t why_len)
{
	const char *end = NULL;
	unsigned line = 1;
	cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, false);

	if (root)
		while (end < text + len && strchr(" \t\n\r", *end) && *end)
			end++;
	if (!root || end != text + len) {
		tree_free(root);
		if (!end || end < text || end > text + len)
			end = text;
		for (const char *p = text; p < end; p++)
			line += *p == '\n';
		(void) snprintf(why, why_len, "line %u: %s", line,
				root ? "text after the JSON object" : "not valid JSON");
		return -EINVAL;
	}
	if (json_duplicates(root, why, why_len) < 0) {
		tree_free(root);
		return -EINVAL;
	}
	*out = root;
	return 0;
}

int k8s_yaml_parse(const char *text, size_t len, cJSON **out, char *why, size_t why_len)
{
	struct yaml y = { .why = why, .why_len = why ? why_len : 0 };
	const char *p = text, *end = text + len;
	cJSON *root = NULL;
	int r;

	*out = NULL;
	if (y.why_len)
		why[0] = '\0';
	if (len >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
		p += 3;	/* a UTF-8 byte order mark */
	if (memchr(p, '\0', (size_t) (end - p)))
		return yaml_fail(&y, 1, "NUL byte in the text");
	for (const char *q = p; q < end; q++) {
		if (*q == '{')
			return json_parse(q, (size_t) (end - q), out, y.why, y.why_len);
		if (*q != ' ' && *q != '\t' && *q != '\n' && *q != '\r')
			break;
	}
	r = yaml_lex(&y, p, end);
	if (r >= 0 && y.n == 0)
		r = (root = cJSON_CreateNull()) ? 0 : -ENOMEM;
	else if (r >= 0) {
		r = yaml_block(&y, &root);
		if (r >= 0 && y.pos < y.n)
			r = yaml_fail(&y, y.t[y.pos].line, "unexpected %s",
				      y.t[y.pos].col > y.t[0].col ? "indentation" :
				      "content after the document's top node");
	}
	free(y.t);
	if (r < 0) {
		tree_free(root);
		return r;
	}
	*out = root;
	return 0;
}

/* ------------------------------------------------------------------------------------ files */

/*
 * Reads a regular file of at most max bytes, NUL-terminated. -EFBIG when larger, -EINVAL when
 * not a regular file. The buffer is sized for max, so a secret is never copied by realloc.
 */
static int read_bounded(const char *path, size_t max, char **out, size_t *out_len)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	size_t len = 0;
	char *buf;

	*out = NULL;
	*out_len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if ((uint64_t) st.st_size > max)
		return -EFBIG;
	buf = malloc(max + 2);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n = read(fd, buf + len, max + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int r = -errno;

			wipe_free(buf, len);
			return r;
		}
		if (n == 0)
			break;
		len += (size_t) n;
		if (len > max) {
			wipe_free(buf, len);
			return -EFBIG;
		}
	}
	buf[len] = '\0';
	*out = buf;
	*out_len = len;
	return 0;
}

/* ------------------------------------------------------------------------------- kubeconfig */

struct kc {
	const char *where;	/* "kubeconfig '<path>'", the start of every message */
	const char *dir;	/* relative paths resolve here; NULL or "": the working directory */
	struct cni_err *err;
};

static int kc_invalid(struct kc *kc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int kc_invalid(struct kc *kc, const char *fmt, ...)
{
	char msg[ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	(void) vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(kc->err, -EINVAL, CNI_ERR_INVALID_CONFIG, NULL, "%s: %s", kc->where, msg);
}

static int kc_nomem(struct kc *kc)
{
	return err_set(kc->err, -ENOMEM, RDMANET_ERR_INTERNAL, NULL, "%s: out of memory", kc->where);
}

/* obj's string key: *out NULL when absent, null or ""; error when not a string or too long. */
static int kc_str(struct kc *kc, const cJSON *obj, const char *sect, const char *key, size_t max,
		  const char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	*out = NULL;
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsString(v))
		return kc_invalid(kc, "%s%s'%s' must be a string", sect, *sect ? ": " : "", key);
	if (strlen(v->valuestring) > max)
		return kc_invalid(kc, "%s%s'%s' is longer than %zu bytes", sect, *sect ? ": " : "", key,
				  max);
	if (*v->valuestring)
		*out = v->valuestring;
	return 0;
}

/* Whether obj sets key to anything but null, "", {} or []. */
static bool kc_set(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!v || cJSON_IsNull(v))
		return false;
	if (cJSON_IsString(v))
		return *v->valuestring;
	if (cJSON_IsObject(v) || cJSON_IsArray(v))
		return v->child;
	return true;
}

/*
 * The entry of list ("clusters", "contexts", "users") named name: *out is its inner mapping
 * (key: "cluster", "context", "user"), NULL when the entry has none. -ENOENT when absent.
 */
static int kc_find(struct kc *kc, const cJSON *root, const char *list, const char *key,
		   const char *name, const cJSON **out)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, list), *it;
	bool found = false;

	*out = NULL;
	if (!arr || cJSON_IsNull(arr))
		return -ENOENT;
	if (!cJSON_IsArray(arr))
		return kc_invalid(kc, "'%s' must be a list", list);
	cJSON_ArrayForEach(it, arr) {
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(it, "name");
		const cJSON *inner = cJSON_GetObjectItemCaseSensitive(it, key);

		if (!cJSON_IsObject(it) || !cJSON_IsString(n))
			return kc_invalid(kc, "every entry of '%s' needs a 'name'", list);
		if (strcmp(n->valuestring, name))
			continue;
		if (found)
			return kc_invalid(kc, "'%s' has two entries named '%s'", list, name);
		if (inner && !cJSON_IsNull(inner) && !cJSON_IsObject(inner))
			return kc_invalid(kc, "%s '%s': '%s' must be a mapping", list, name, key);
		*out = inner;
		found = true;
	}
	return found ? 0 : -ENOENT;
}

static int kc_path(struct kc *kc, const char *sect, const char *key, const char *p,
		   char out[PATH_MAX])
{
	int n;

	if (p[0] == '/' || !kc->dir || !kc->dir[0])
		n = snprintf(out, PATH_MAX, "%s", p);
	else
		n = snprintf(out, PATH_MAX, "%s/%s", kc->dir, p);
	if (n < 0 || n >= PATH_MAX)
		return kc_invalid(kc, "%s: '%s' is a path longer than %d bytes", sect, key, PATH_MAX - 1);
	return 0;
}

/* read_bounded()'s error r for the file named by key of sect: unreadable is 5, too big 7. */
static int kc_read_fail(struct kc *kc, const char *sect, const char *key, const char *path,
			size_t max, int r)
{
	if (r == -EFBIG)
		return kc_invalid(kc, "%s: '%s' file '%s' is larger than %zu bytes", sect, key, path, max);
	if (r == -EINVAL)
		return err_set(kc->err, r, CNI_ERR_IO, NULL, "%s: %s: '%s' file '%s' is not a regular file",
			       kc->where, sect, key, path);
	if (r == -ENOMEM)
		return kc_nomem(kc);
	if (r < 0)
		return err_set(kc->err, r, CNI_ERR_IO, NULL, "%s: %s: cannot read '%s' file '%s'",
			       kc->where, sect, key, path);
	return r;
}

static int kc_read(struct kc *kc, const char *sect, const char *key, const char *path, size_t max,
		   char **out, size_t *len)
{
	int r = read_bounded(path, max, out, len);

	return r < 0 ? kc_read_fail(kc, sect, key, path, max, r) : 0;
}

/* A token goes into an HTTP header: visible ASCII only. Leading and trailing space dropped. */
static int token_take(struct kc *kc, const char *sect, const char *what, const char *buf,
		      size_t len, char **out)
{
	size_t a = 0, b = len;

	while (a < b && (buf[a] == ' ' || buf[a] == '\t' || buf[a] == '\n' || buf[a] == '\r'))
		a++;
	while (b > a && (buf[b - 1] == ' ' || buf[b - 1] == '\t' || buf[b - 1] == '\n' ||
			 buf[b - 1] == '\r'))
		b--;
	if (a == b)
		return kc_invalid(kc, "%s: %s is empty", sect, what);
	for (size_t i = a; i < b; i++)
		if ((unsigned char) buf[i] <= 0x20 || (unsigned char) buf[i] >= 0x7f)
			return kc_invalid(kc, "%s: %s has a character an HTTP header cannot carry", sect,
					  what);
	*out = strndup(buf + a, b - a);
	return *out ? 0 : kc_nomem(kc);
}

static int pem_check(struct kc *kc, const char *sect, const char *what, const char *buf, size_t len)
{
	if (memchr(buf, '\0', len))
		return kc_invalid(kc, "%s: %s holds a NUL byte, not PEM", sect, what);
	if (!memmem(buf, len, "-----BEGIN ", 11))
		return kc_invalid(kc, "%s: %s is not PEM (no '-----BEGIN' line)", sect, what);
	return 0;
}

/* key ("certificate-authority", "client-key", ...) as a file or as key-data (base64). */
static int kc_pem(struct kc *kc, const char *sect, const cJSON *obj, const char *key, char **out)
{
	char dkey[64], what[PATH_MAX + 96], path[PATH_MAX];
	const char *file, *data;
	size_t len;
	char *buf;
	int r;

	*out = NULL;
	(void) snprintf(dkey, sizeof(dkey), "%s-data", key);
	if ((r = kc_str(kc, obj, sect, key, PATH_MAX - 1, &file)) < 0 ||
	    (r = kc_str(kc, obj, sect, dkey, B64_LEN(K8S_PEM_MAX), &data)) < 0)
		return r;
	if (file && data)
		return kc_invalid(kc, "%s: both '%s' and '%s' are set; keep one", sect, key, dkey);
	if (data) {
		r = k8s_base64_decode(data, strlen(data), &buf, &len);
		if (r == -ENOMEM)
			return kc_nomem(kc);
		if (r < 0)
			return kc_invalid(kc, "%s: '%s' is not valid base64", sect, dkey);
		if (len > K8S_PEM_MAX) {
			wipe_free(buf, len);
			return kc_invalid(kc, "%s: '%s' is larger than %d bytes", sect, dkey, K8S_PEM_MAX);
		}
		(void) snprintf(what, sizeof(what), "'%s'", dkey);
	} else if (file) {
		if ((r = kc_path(kc, sect, key, file, path)) < 0 ||
		    (r = kc_read(kc, sect, key, path, K8S_PEM_MAX, &buf, &len)) < 0)
			return r;
		(void) snprintf(what, sizeof(what), "'%s' file '%s'", key, path);
	} else
		return 0;
	if ((r = pem_check(kc, sect, what, buf, len)) < 0) {
		wipe_free(buf, len);
		return r;
	}
	*out = buf;
	return 0;
}

/* RFC 1123 label, as namespace names are. */
static bool label_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > K8S_NAMESPACE_MAX || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
			return false;
	return true;
}

/* https://host[:port][/prefix]: no user info, query, fragment, space; the trailing '/' goes. */
static int kc_server(struct kc *kc, const char *sect, const char *s, bool insecure, char *out)
{
	size_t n = strlen(s), scheme;
	const char *host;

	if (strchr(s, '@'))	/* user info may hold a password: never echoed */
		return kc_invalid(kc, "%s: 'server' must not carry user information ('@')", sect);
	if (!strncmp(s, "https://", 8))
		scheme = 8;
	else if (!strncmp(s, "http://", 7)) {
		if (!insecure)
			return kc_invalid(kc,
					  "%s: 'server' '%s' is plain http: only https:// is allowed, unless the cluster sets 'insecure-skip-tls-verify: true' (for tests only)",
					  sect, s);
		scheme = 7;
	} else
		return kc_invalid(kc, "%s: 'server' '%s' is not an https:// URL", sect, s);
	while (n > scheme && s[n - 1] == '/')
		n--;
	host = s + scheme;
	if (n == scheme || *host == '/' || *host == ':')
		return kc_invalid(kc, "%s: 'server' '%s' has no host", sect, s);
	if (n >= K8S_SERVER_MAX)
		return kc_invalid(kc, "%s: 'server' is longer than %d bytes", sect, K8S_SERVER_MAX - 1);
	for (size_t i = scheme; i < n; i++)
		if ((unsigned char) s[i] <= 0x20 || (unsigned char) s[i] >= 0x7f ||
		    strchr("?#\\", s[i]))
			return kc_invalid(kc,
					  "%s: 'server' '%s' must be scheme://host[:port][/path], without '%c'",
					  sect, s, s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?');
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

static int kc_cluster(struct kc *kc, const char *name, const cJSON *cl, struct k8s_config *c)
{
	const cJSON *ins = cJSON_GetObjectItemCaseSensitive(cl, "insecure-skip-tls-verify");
	const char *server;
	char sect[320];
	int r;

	(void) snprintf(sect, sizeof(sect), "cluster '%s'", name);
	if ((r = kc_str(kc, cl, sect, "server", 4096, &server)) < 0)
		return r;
	if (!server)
		return kc_invalid(kc, "%s: 'server' is not set", sect);
	if (ins && !cJSON_IsNull(ins) && !cJSON_IsBool(ins))
		return kc_invalid(kc, "%s: 'insecure-skip-tls-verify' must be true or false", sect);
	c->insecure = cJSON_IsTrue(ins);
	if (kc_set(cl, "proxy-url"))
		return kc_invalid(kc, "%s: 'proxy-url' is not supported", sect);
	if (kc_set(cl, "tls-server-name"))
		return kc_invalid(kc, "%s: 'tls-server-name' is not supported", sect);
	if ((r = kc_server(kc, sect, server, c->insecure, c->server)) < 0 ||
	    (r = kc_pem(kc, sect, cl, "certificate-authority", &c->ca_pem)) < 0)
		return r;
	if (c->insecure && c->ca_pem)
		return kc_invalid(kc,
				  "%s: 'insecure-skip-tls-verify' and a certificate authority are both set; keep one",
				  sect);
	return 0;
}

static int kc_user(struct kc *kc, const char *name, const cJSON *u, struct k8s_config *c)
{
	static const char *const imp[] = { "as", "as-uid", "as-groups", "as-user-extra" };
	const char *token, *file;
	char sect[320], path[PATH_MAX];
	int r;

	(void) snprintf(sect, sizeof(sect), "user '%s'", name);
	if (kc_set(u, "exec"))
		return kc_invalid(kc,
				  "%s: 'exec' credential plugins are not supported: use 'token', 'tokenFile' or a client certificate",
				  sect);
	if (kc_set(u, "auth-provider"))
		return kc_invalid(kc,
				  "%s: 'auth-provider' plugins are not supported: use 'token', 'tokenFile' or a client certificate",
				  sect);
	if (kc_set(u, "username") || kc_set(u, "password"))
		return kc_invalid(kc, "%s: basic authentication ('username', 'password') is not supported",
				  sect);
	for (size_t i = 0; i < ARRAY_SIZE(imp); i++)
		if (kc_set(u, imp[i]))
			return kc_invalid(kc, "%s: impersonation ('%s') is not supported", sect, imp[i]);
	if ((r = kc_str(kc, u, sect, "token", K8S_TOKEN_MAX, &token)) < 0 ||
	    (r = kc_str(kc, u, sect, "tokenFile", PATH_MAX - 1, &file)) < 0)
		return r;
	if (token) {	/* as client-go: the token wins over tokenFile */
		if ((r = token_take(kc, sect, "'token'", token, strlen(token), &c->token)) < 0)
			return r;
	} else if (file) {
		char what[PATH_MAX + 32], *buf;
		size_t len;

		if ((r = kc_path(kc, sect, "tokenFile", file, path)) < 0 ||
		    (r = kc_read(kc, sect, "tokenFile", path, K8S_TOKEN_MAX, &buf, &len)) < 0)
			return r;
		(void) snprintf(what, sizeof(what), "'tokenFile' '%s'", path);
		r = token_take(kc, sect, what, buf, len, &c->token);
		wipe_free(buf, len);
		if (r < 0)
			return r;
	}
	if ((r = kc_pem(kc, sect, u, "client-certificate", &c->cert_pem)) < 0 ||
	    (r = kc_pem(kc, sect, u, "client-key", &c->key_pem)) < 0)
		return r;
	if (c->cert_pem && !c->key_pem)
		return kc_invalid(kc, "%s: 'client-certificate' is set without 'client-key'", sect);
	if (c->key_pem && !c->cert_pem)
		return kc_invalid(kc, "%s: 'client-key' is set without 'client-certificate'", sect);
	return 0;
}

static int kc_build(struct kc *kc, const cJSON *root, struct k8s_config *c)
{
	const cJSON *ctx, *cl, *u = NULL;
	const char *cur, *cname, *uname, *ns;
	char sect[320];
	int r;

	if (cJSON_IsNull(root))
		return kc_invalid(kc, "is empty");
	if (!cJSON_IsObject(root))
		return kc_invalid(kc, "is not a mapping of kubeconfig keys");
	if ((r = kc_str(kc, root, "", "current-context", 4096, &cur)) < 0)
		return r;
	if (!cur)
		return kc_invalid(kc, "'current-context' is not set");
	r = kc_find(kc, root, "contexts", "context", cur, &ctx);
	if (r == -ENOENT)
		return kc_invalid(kc, "context '%s' (the current-context) is not in 'contexts'", cur);
	if (r < 0)
		return r;
	(void) snprintf(sect, sizeof(sect), "context '%s'", cur);
	if ((r = kc_str(kc, ctx, sect, "cluster", 4096, &cname)) < 0 ||
	    (r = kc_str(kc, ctx, sect, "user", 4096, &uname)) < 0 ||
	    (r = kc_str(kc, ctx, sect, "namespace", 4096, &ns)) < 0)
		return r;
	if (!cname)
		return kc_invalid(kc, "%s: 'cluster' is not set", sect);
	if (ns && !label_valid(ns))
		return kc_invalid(kc, "%s: 'namespace' '%s' is not a valid namespace name", sect, ns);
	r = kc_find(kc, root, "clusters", "cluster", cname, &cl);
	if (r == -ENOENT)
		return kc_invalid(kc, "%s: cluster '%s' is not in 'clusters'", sect, cname);
	if (r < 0)
		return r;
	if (uname) {
		r = kc_find(kc, root, "users", "user", uname, &u);
		if (r == -ENOENT)
			return kc_invalid(kc, "%s: user '%s' is not in 'users'", sect, uname);
		if (r < 0)
			return r;
	}
	(void) snprintf(c->namespace_, sizeof(c->namespace_), "%s", ns ? ns : "");
	if ((r = kc_cluster(kc, cname, cl, c)) < 0)
		return r;
	return uname ? kc_user(kc, uname, u, c) : 0;
}

static int kc_parse(struct kc *kc, const char *text, size_t len, struct k8s_config *c)
{
	struct k8s_config n = { 0 };
	char why[256];
	cJSON *root;
	int r;

	memset(c, 0, sizeof(*c));
	if (len > K8S_KUBECONFIG_MAX)
		return kc_invalid(kc, "is larger than %d bytes", K8S_KUBECONFIG_MAX);
	r = k8s_yaml_parse(text, len, &root, why, sizeof(why));
	if (r == -ENOMEM)
		return kc_nomem(kc);
	if (r < 0)
		return kc_invalid(kc, "%s", why);
	r = kc_build(kc, root, &n);
	tree_free(root);
	if (r < 0) {
		k8s_config_free(&n);
		return r;
	}
	*c = n;
	return 0;
}

int k8s_kubeconfig_parse(const char *text, size_t len, const char *dir, struct k8s_config *c,
			 struct cni_err *err)
{
	struct kc kc = { .where = "kubeconfig", .dir = dir, .err = err };

	return kc_parse(&kc, text, len, c);
}

int k8s_kubeconfig_load(const char *path, struct k8s_config *c, struct cni_err *err)
{
	char where[PATH_MAX + 16], dir[PATH_MAX];
	struct kc kc = { .where = where, .dir = dir, .err = err };
	const char *slash = strrchr(path, '/');
	char *text;
	size_t len;
	int r;

	memset(c, 0, sizeof(*c));
	(void) snprintf(where, sizeof(where), "kubeconfig '%s'", path);
	if (!slash)
		(void) snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		(void) snprintf(dir, sizeof(dir), "/");
	else
		(void) snprintf(dir, sizeof(dir), "%.*s", (int) (slash - path), path);
	r = read_bounded(path, K8S_KUBECONFIG_MAX, &text, &len);
	if (r == -EFBIG)
		return kc_invalid(&kc, "is larger than %d bytes", K8S_KUBECONFIG_MAX);
	if (r == -EINVAL)
		return err_set(err, r, CNI_ERR_IO, NULL, "%s is not a regular file", where);
	if (r == -ENOMEM)
		return kc_nomem(&kc);
	if (r < 0)
		return err_set(err, r, CNI_ERR_IO, NULL, "cannot read %s", where);
	r = kc_parse(&kc, text, len, c);
	wipe_free(text, len);
	return r;
}

/* ------------------------------------------------------------------------------- in-cluster */

int k8s_incluster_load(const char *root, struct k8s_config *c, struct cni_err *err)
{
	struct kc kc = { .where = "in-cluster config", .dir = root, .err = err };
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	struct k8s_config n = { 0 };
	char path[PATH_MAX], *buf = NULL;
	unsigned long pn;
	size_t len;
	char *end;
	int r;

	memset(c, 0, sizeof(*c));
	if (!host || !*host || !port || !*port)
		return kc_invalid(&kc,
				  "KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set: not in a pod; set 'ipam.kubernetes.kubeconfig' in the network config (the DaemonSet writes /etc/cni/net.d/rdmanet.d/rdmanet-ipam.kubeconfig), or reconcile's --kubeconfig");
	if (strlen(host) > 253 || strspn(host, HOST_CHARS) != strlen(host))
		return kc_invalid(&kc, "KUBERNETES_SERVICE_HOST '%.64s' is not a host name or address",
				  host);
	errno = 0;
	pn = strtoul(port, &end, 10);
	if (*end || errno || pn == 0 || pn > 65535 || port[0] < '0' || port[0] > '9')
		return kc_invalid(&kc, "KUBERNETES_SERVICE_PORT '%.16s' is not a port", port);
	(void) snprintf(n.server, sizeof(n.server),
			strchr(host, ':') ? "https://[%s]:%lu" : "https://%s:%lu", host, pn);

	if ((r = kc_path(&kc, "service account", "token", "token", path)) < 0 ||
	    (r = kc_read(&kc, "service account", "token", path, K8S_TOKEN_MAX, &buf, &len)) < 0)
		goto fail;
	r = token_take(&kc, "service account", "'token'", buf, len, &n.token);
	wipe_free(buf, len);
	if (r < 0)
		goto fail;

	if ((r = kc_path(&kc, "service account", "ca.crt", "ca.crt", path)) < 0 ||
	    (r = kc_read(&kc, "service account", "ca.crt", path, K8S_PEM_MAX, &n.ca_pem, &len)) < 0 ||
	    (r = pem_check(&kc, "service account", "'ca.crt'", n.ca_pem, len)) < 0)
		goto fail;

	if ((r = kc_path(&kc, "service account", "namespace", "namespace", path)) < 0)
		goto fail;
	r = read_bounded(path, 256, &buf, &len);
	if (r == -ENOENT)
		r = 0;	/* optional: the caller picks a default */
	else if (r < 0) {
		r = kc_read_fail(&kc, "service account", "namespace", path, 256, r);
		goto fail;
	} else {
		while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' ' || buf[len - 1] == '\r'))
			buf[--len] = '\0';
		if (strlen(buf) != len || !label_valid(buf)) {
			free(buf);
			r = kc_invalid(&kc, "service account: 'namespace' file '%s' holds no namespace name",
				       path);
			goto fail;
		}
		(void) snprintf(n.namespace_, sizeof(n.namespace_), "%s", buf);
		free(buf);
	}
	*c = n;
	return 0;
fail:
	k8s_config_free(&n);
	return r;
}

void k8s_config_free(struct k8s_config *c)
{
	if (!c)
		return;
	free(c->ca_pem);
	free(c->cert_pem);
	secret_free(c->key_pem);
	secret_free(c->token);
	memset(c, 0, sizeof(*c));
}
