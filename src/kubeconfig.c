/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kubeconfig.c - the credentials of k8s.c: a kubeconfig file (YAML, JSON included, read by libyaml
 * into a cJSON tree) or the in-cluster service account. Every size is bounded; tokens and keys
 * never reach a message and are wiped before they are freed.
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
#include <yaml.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/k8s.h"

#define YB_DEPTH_MAX 32		/* kubeconfig nests 4 deep */
#define YB_KEYS_MAX 4096	/* keys of one mapping (duplicates are searched linearly) */
#define YB_ANCHORS_MAX 256	/* anchors of a document (searched linearly) */
#define YB_NODES_MAX (128 * 1024)	/* values of a document, alias copies included */
#define YB_COPIES_MAX (16 * 1024)	/* values made by aliases (copies of anchored nodes) */
#define YB_COPY_BYTES_MAX K8S_KUBECONFIG_MAX	/* text made by aliases */
#define B64_LEN(n) (((n) + 2) / 3 * 4)
#define HOST_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:"

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

/* -------------------------------------------------------------------------- YAML (libyaml) */

/*
 * libyaml's parser turns the text into events; the events build a cJSON tree as YAML 1.2's core
 * schema would, minus numbers: a plain scalar is null (~, null, empty), a boolean (true, false)
 * or a string (no kubeconfig field is a number; client-go reads "6443" into a string field too). Quoted and block scalars are strings. Anchors and aliases work; an alias is a copy,
 * and copies are bounded in values and text, so that a few lines cannot expand into gigabytes
 * ("billion laughs").
 */
struct yb_anchor {
	char *name;
	const cJSON *node;	/* in the tree being built; complete */
	size_t nodes, bytes;	/* what a copy costs */
};

/* A mapping or sequence being filled; it joins its parent when it ends. */
struct yb_frame {
	cJSON *node;
	char *key;		/* mapping: the key whose value comes next; NULL: a key comes next */
	char *anchor;		/* its anchor, registered when it ends */
	unsigned keys;
};

struct yb {
	struct yb_frame stack[YB_DEPTH_MAX];
	unsigned depth;
	struct yb_anchor anchors[YB_ANCHORS_MAX];
	unsigned n_anchors;
	size_t nodes;		/* values made so far, copies included */
	size_t copies, copy_bytes;	/* values and bytes of text made by aliases */
	unsigned docs;
	cJSON *root;
	char *why;
	size_t why_len;
};

/* why = "line L[, column C]: ..." (column 0: none); -EINVAL */
static int yb_fail(struct yb *b, size_t line, size_t column, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int yb_fail(struct yb *b, size_t line, size_t column, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!b->why_len)
		return -EINVAL;
	if (column)
		n = snprintf(b->why, b->why_len, "line %zu, column %zu: ", line, column);
	else
		n = snprintf(b->why, b->why_len, "line %zu: ", line);
	if (n >= 0 && (size_t) n < b->why_len) {
		va_start(ap, fmt);
		(void) vsnprintf(b->why + n, b->why_len - (size_t) n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
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

/* The values and bytes of text in the tree n (a copy's cost). */
static void tree_cost(const cJSON *n, size_t *nodes, size_t *bytes)
{
	(*nodes)++;
	if (n->string)
		*bytes += strlen(n->string);
	if (cJSON_IsString(n))
		*bytes += strlen(n->valuestring);
	for (const cJSON *c = n->child; c; c = c->next)
		tree_cost(c, nodes, bytes);
}

static int yb_spend(struct yb *b, size_t line, size_t nodes)
{
	if (nodes > YB_NODES_MAX - b->nodes)
		return yb_fail(b, line, 0, "more than %d values", YB_NODES_MAX);
	b->nodes += nodes;
	return 0;
}

/* A tag other than none, '!' (a string) and the standard one of the node's own kind. */
static int yb_tag(struct yb *b, size_t line, const yaml_char_t *tag, const char *std)
{
	const char *t = (const char *) tag;

	if (!t || !strcmp(t, "!") || !strcmp(t, std))
		return 0;
	return yb_fail(b, line, 0, "tag '%.64s' is not supported", t);
}

static struct yb_anchor *yb_anchor_find(struct yb *b, const char *name)
{
	for (unsigned i = 0; i < b->n_anchors; i++)
		if (!strcmp(b->anchors[i].name, name))
			return &b->anchors[i];
	return NULL;
}

/* Names the complete node n (*name is taken); a later anchor of the same name replaces it. */
static int yb_anchor_set(struct yb *b, size_t line, char **name, const cJSON *n)
{
	struct yb_anchor *a = yb_anchor_find(b, *name);

	if (!a) {
		if (b->n_anchors == YB_ANCHORS_MAX)
			return yb_fail(b, line, 0, "more than %d anchors", YB_ANCHORS_MAX);
		a = &b->anchors[b->n_anchors++];
	} else
		free(a->name);
	a->name = TAKE_PTR(*name);
	a->node = n;
	a->nodes = a->bytes = 0;
	tree_cost(n, &a->nodes, &a->bytes);
	return 0;
}

/* Whether the collection being filled expects a key now. */
static bool yb_want_key(const struct yb *b)
{
	const struct yb_frame *f = b->depth ? &b->stack[b->depth - 1] : NULL;

	return f && cJSON_IsObject(f->node) && !f->key;
}

/* A complete value v (taken) goes to the collection being filled, or becomes the root. */
static int yb_put(struct yb *b, cJSON *v)
{
	struct yb_frame *f = b->depth ? &b->stack[b->depth - 1] : NULL;
	bool ok;

	if (!f) {
		b->root = v;
		return 0;
	}
	if (cJSON_IsArray(f->node))
		ok = cJSON_AddItemToArray(f->node, v);
	else {
		ok = cJSON_AddItemToObject(f->node, f->key, v);
		free(TAKE_PTR(f->key));
	}
	if (ok)
		return 0;
	tree_free(v);
	return -ENOMEM;
}

/* A scalar where a key is expected: a string, unique in its mapping. */
static int yb_key(struct yb *b, const yaml_event_t *ev)
{
	struct yb_frame *f = &b->stack[b->depth - 1];
	const char *s = (const char *) ev->data.scalar.value;
	size_t len = ev->data.scalar.length, line = ev->start_mark.line + 1;
	int r;

	if ((r = yb_tag(b, line, ev->data.scalar.tag, YAML_STR_TAG)) < 0)
		return r;
	if (ev->data.scalar.anchor)
		return yb_fail(b, line, 0, "an anchor on a key is not supported");
	if (memchr(s, '\0', len))
		return yb_fail(b, line, 0, "NUL character in a key");
	if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !strcmp(s, "<<"))
		return yb_fail(b, line, 0, "merge keys ('<<') are not supported: write the keys out");
	if (cJSON_GetObjectItemCaseSensitive(f->node, s))
		return yb_fail(b, line, 0, "duplicate key '%.128s'", s);
	if (++f->keys > YB_KEYS_MAX)
		return yb_fail(b, line, 0, "more than %d keys in one mapping", YB_KEYS_MAX);
	f->key = strdup(s);
	return f->key ? 0 : -ENOMEM;
}

static bool word_in(const char *s, const char *const *words)
{
	for (; *words; words++)
		if (!strcmp(s, *words))
			return true;
	return false;
}

static int yb_scalar(struct yb *b, const yaml_event_t *ev)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL", NULL };
	static const char *const trues[] = { "true", "True", "TRUE", NULL };
	static const char *const falses[] = { "false", "False", "FALSE", NULL };
	const char *s = (const char *) ev->data.scalar.value;
	size_t len = ev->data.scalar.length, line = ev->start_mark.line + 1;
	_cleanup_free_ char *anchor = NULL;
	cJSON *v;
	int r;

	if (yb_want_key(b))
		return yb_key(b, ev);
	if ((r = yb_tag(b, line, ev->data.scalar.tag, YAML_STR_TAG)) < 0)
		return r;
	if (memchr(s, '\0', len))
		return yb_fail(b, line, 0, "NUL character in a string");
	if ((r = yb_spend(b, line, 1)) < 0)
		return r;
	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || ev->data.scalar.tag)
		v = cJSON_CreateString(s);
	else if (word_in(s, nulls))
		v = cJSON_CreateNull();
	else if (word_in(s, trues))
		v = cJSON_CreateTrue();
	else if (word_in(s, falses))
		v = cJSON_CreateFalse();
	else
		v = cJSON_CreateString(s);
	if (!v)
		return -ENOMEM;
	if (ev->data.scalar.anchor && !(anchor = strdup((const char *) ev->data.scalar.anchor))) {
		cJSON_Delete(v);
		return -ENOMEM;
	}
	if ((r = yb_put(b, v)) < 0)
		return r;
	return anchor ? yb_anchor_set(b, line, &anchor, v) : 0;
}

static int yb_start(struct yb *b, const yaml_event_t *ev)
{
	bool map = ev->type == YAML_MAPPING_START_EVENT;
	const yaml_char_t *tag = map ? ev->data.mapping_start.tag : ev->data.sequence_start.tag;
	const yaml_char_t *anchor = map ? ev->data.mapping_start.anchor :
					  ev->data.sequence_start.anchor;
	size_t line = ev->start_mark.line + 1;
	struct yb_frame *f;
	int r;

	if (yb_want_key(b))
		return yb_fail(b, line, 0, "a key must be a string, not a %s", map ? "mapping" : "list");
	if ((r = yb_tag(b, line, tag, map ? YAML_MAP_TAG : YAML_SEQ_TAG)) < 0)
		return r;
	if (b->depth == YB_DEPTH_MAX)
		return yb_fail(b, line, 0, "nested deeper than %d levels", YB_DEPTH_MAX);
	if ((r = yb_spend(b, line, 1)) < 0)
		return r;
	f = &b->stack[b->depth];
	*f = (struct yb_frame) { .node = map ? cJSON_CreateObject() : cJSON_CreateArray() };
	if (!f->node)
		return -ENOMEM;
	b->depth++;
	if (anchor && !(f->anchor = strdup((const char *) anchor)))
		return -ENOMEM;
	return 0;
}

static int yb_end(struct yb *b, const yaml_event_t *ev)
{
	struct yb_frame *f = &b->stack[--b->depth];
	_cleanup_free_ char *anchor = TAKE_PTR(f->anchor);
	cJSON *v = TAKE_PTR(f->node);
	int r;

	free(TAKE_PTR(f->key));	/* libyaml gives every key a value: never set here */
	if ((r = yb_put(b, v)) < 0)
		return r;
	return anchor ? yb_anchor_set(b, ev->start_mark.line + 1, &anchor, v) : 0;
}

static int yb_alias(struct yb *b, const yaml_event_t *ev)
{
	const char *name = (const char *) ev->data.alias.anchor;
	size_t line = ev->start_mark.line + 1;
	const struct yb_anchor *a = yb_anchor_find(b, name);
	cJSON *v;
	int r;

	if (yb_want_key(b))
		return yb_fail(b, line, 0, "an alias as a key is not supported");
	if (!a) {
		for (unsigned i = 0; i < b->depth; i++)
			if (b->stack[i].anchor && !strcmp(b->stack[i].anchor, name))
				return yb_fail(b, line, 0, "alias '*%.64s' refers to a node that contains it",
					       name);
		return yb_fail(b, line, 0, "alias '*%.64s' has no anchor '&%.64s' before it", name, name);
	}
	if (a->nodes > YB_COPIES_MAX - b->copies)
		return yb_fail(b, line, 0, "aliases expand to more than %d values", YB_COPIES_MAX);
	if (a->bytes > YB_COPY_BYTES_MAX - b->copy_bytes)
		return yb_fail(b, line, 0, "aliases expand to more than %d bytes of text",
			       YB_COPY_BYTES_MAX);
	if ((r = yb_spend(b, line, a->nodes)) < 0)
		return r;
	b->copies += a->nodes;
	b->copy_bytes += a->bytes;
	v = cJSON_Duplicate(a->node, true);
	return v ? yb_put(b, v) : -ENOMEM;
}

static int yb_event(struct yb *b, const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (b->docs++)
			return yb_fail(b, ev->start_mark.line + 1, 0,
				       "a second document ('---') is not supported");
		return 0;
	case YAML_SCALAR_EVENT:
		return yb_scalar(b, ev);
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		return yb_start(b, ev);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return yb_end(b, ev);
	case YAML_ALIAS_EVENT:
		return yb_alias(b, ev);
	default:
		return 0;
	}
}

/* Whether the character at line, column (both from 0) of text is a tab (ASCII lines). */
static bool tab_at(const char *text, size_t len, size_t line, size_t column)
{
	const char *p = text, *end = text + len;

	while (line-- && p < end) {
		p = memchr(p, '\n', (size_t) (end - p));
		if (!p)
			return false;
		p++;
	}
	return column < (size_t) (end - p) && !memchr(p, '\n', column) && p[column] == '\t';
}

/* libyaml's own error: where and what (its messages are fixed texts, never the input's). */
static int yb_parser_fail(struct yb *b, const yaml_parser_t *p, const char *text, size_t len)
{
	const char *problem = p->problem ? p->problem : "not valid YAML";
	const yaml_mark_t *m = &p->problem_mark;
	char ctx[160] = "";
	size_t line = 1;

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		return -ENOMEM;
	case YAML_READER_ERROR:
		for (size_t i = 0; i < p->problem_offset && i < len; i++)
			line += text[i] == '\n';
		if (p->problem_value >= 0)
			return yb_fail(b, line, 0, "%s (0x%02x)", problem, (unsigned) p->problem_value);
		return yb_fail(b, line, 0, "%s", problem);
	default:
		if (p->context)
			(void) snprintf(ctx, sizeof(ctx), ", %s from line %zu", p->context,
					p->context_mark.line + 1);
		return yb_fail(b, m->line + 1, m->column + 1, "%s%s%s", problem, ctx,
			       tab_at(text, len, m->line, m->column) ?
			       " (a tab: YAML indents and separates with spaces)" : "");
	}
}

/* The parser's copies of the input and the scalars it has not handed out yet may hold secrets. */
static void yb_parser_wipe(yaml_parser_t *p)
{
	if (p->raw_buffer.start)
		explicit_bzero(p->raw_buffer.start, (size_t) (p->raw_buffer.end - p->raw_buffer.start));
	if (p->buffer.start)
		explicit_bzero(p->buffer.start, (size_t) (p->buffer.end - p->buffer.start));
	for (yaml_token_t *t = p->tokens.head; t && t != p->tokens.tail; t++)
		if (t->type == YAML_SCALAR_TOKEN && t->data.scalar.value)
			explicit_bzero(t->data.scalar.value, t->data.scalar.length);
}

static void yb_event_free(yaml_event_t *ev)
{
	if (ev->type == YAML_SCALAR_EVENT && ev->data.scalar.value)
		explicit_bzero(ev->data.scalar.value, ev->data.scalar.length);
	yaml_event_delete(ev);
}

int k8s_yaml_parse(const char *text, size_t len, cJSON **out, char *why, size_t why_len)
{
	struct yb b = { .why = why, .why_len = why ? why_len : 0 };
	yaml_parser_t p;
	bool end = false;
	int r = 0;

	*out = NULL;
	if (b.why_len)
		why[0] = '\0';
	if (!yaml_parser_initialize(&p)) {
		(void) snprintf(b.why, b.why_len, "out of memory");
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *) text, len);
	while (!end && r >= 0) {
		yaml_event_t ev;

		if (!yaml_parser_parse(&p, &ev)) {
			r = yb_parser_fail(&b, &p, text, len);
			break;
		}
		end = ev.type == YAML_STREAM_END_EVENT;
		r = yb_event(&b, &ev);
		yb_event_free(&ev);
	}
	yb_parser_wipe(&p);
	yaml_parser_delete(&p);
	while (b.depth) {
		struct yb_frame *f = &b.stack[--b.depth];

		tree_free(f->node);
		secret_free(f->key);
		free(f->anchor);
	}
	for (unsigned i = 0; i < b.n_anchors; i++)
		free(b.anchors[i].name);
	if (r < 0) {
		tree_free(b.root);
		if (r == -ENOMEM)
			(void) snprintf(b.why, b.why_len, "out of memory");
		return r;
	}
	*out = b.root ? b.root : cJSON_CreateNull();	/* no document: null, as an empty one */
	return *out ? 0 : -ENOMEM;
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

/*
 * Base64 as client-go reads it into a []byte field: line breaks ignored (a block scalar, '|',
 * keeps those of wrapped base64), anything else strict.
 */
static int b64_lines_decode(const char *in, char **out, size_t *out_len)
{
	size_t n = 0, len = strlen(in);
	char *flat;
	int r;

	if (!strpbrk(in, "\r\n"))
		return k8s_base64_decode(in, len, out, out_len);
	flat = malloc(len + 1);
	if (!flat)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++)
		if (in[i] != '\n' && in[i] != '\r')
			flat[n++] = in[i];
	r = k8s_base64_decode(flat, n, out, out_len);
	wipe_free(flat, len + 1);
	return r;
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
		r = b64_lines_decode(data, &buf, &len);
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
	/* nor is text with spaces, which may be the next lines, folded into an unclosed quote */
	for (const char *p = s; *p; p++)
		if ((unsigned char) *p <= 0x20 || (unsigned char) *p >= 0x7f)
			return kc_invalid(kc,
					  "%s: 'server' must be scheme://host[:port][/path], without spaces, line breaks or other characters than printable ASCII",
					  sect);
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
		if (strchr("?#\\", s[i]))
			return kc_invalid(kc,
					  "%s: 'server' '%s' must be scheme://host[:port][/path], without '%c'",
					  sect, s, s[i]);
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

/*
 * An exec credential plugin (aws, gke-gcloud-auth-plugin, kubelogin) or a legacy auth-provider
 * (gcp, azure, oidc): rdmanet-ipam runs no helper programs, so the error names the plugin and
 * what works instead.
 */
static int kc_plugin(struct kc *kc, const char *sect, const cJSON *u)
{
	static const char instead[] =
		"use a ServiceAccount token ('token' or 'tokenFile') or a client certificate ('client-certificate' and 'client-key', or their -data forms)";
	const cJSON *exec = cJSON_GetObjectItemCaseSensitive(u, "exec");
	const cJSON *ap = cJSON_GetObjectItemCaseSensitive(u, "auth-provider");
	const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(exec, "command");
	const cJSON *apn = cJSON_GetObjectItemCaseSensitive(ap, "name");

	if (kc_set(u, "exec")) {
		if (cJSON_IsString(cmd) && *cmd->valuestring)
			return kc_invalid(kc,
					  "%s: 'exec' credential plugins (here '%.64s') are not supported: %s",
					  sect, cmd->valuestring, instead);
		return kc_invalid(kc, "%s: 'exec' credential plugins are not supported: %s", sect,
				  instead);
	}
	if (cJSON_IsString(apn) && *apn->valuestring)
		return kc_invalid(kc, "%s: 'auth-provider' plugins (here '%.64s') are not supported: %s",
				  sect, apn->valuestring, instead);
	return kc_invalid(kc, "%s: 'auth-provider' plugins are not supported: %s", sect, instead);
}

static int kc_user(struct kc *kc, const char *name, const cJSON *u, struct k8s_config *c)
{
	static const char *const imp[] = { "as", "as-uid", "as-groups", "as-user-extra" };
	const char *token, *file;
	char sect[320], path[PATH_MAX];
	int r;

	(void) snprintf(sect, sizeof(sect), "user '%s'", name);
	if (kc_set(u, "exec") || kc_set(u, "auth-provider"))
		return kc_plugin(kc, sect, u);
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
