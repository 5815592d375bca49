/* SPDX-License-Identifier: Apache-2.0 */
/*
 * yamltree.c - one YAML document (JSON included) read with libyaml into a cJSON tree, for
 * kubeconfig.c. Every size is bounded; scalars are wiped before they are freed, as they may be
 * tokens or keys.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <yaml.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/k8s.h"
#include "rdmanet/secret.h"
#include "rdmanet/yamltree.h"

#define YB_DEPTH_MAX      32           /* kubeconfig nests 4 deep */
#define YB_KEYS_MAX       4096         /* keys of one mapping (duplicates are searched linearly) */
#define YB_ANCHORS_MAX    256          /* anchors of a document (searched linearly) */
#define YB_NODES_MAX      (128 * 1024) /* values of a document, alias copies included */
#define YB_COPIES_MAX     (16 * 1024)  /* values made by aliases (copies of anchored nodes) */
#define YB_COPY_BYTES_MAX K8S_KUBECONFIG_MAX /* text made by aliases */

/*
 * libyaml's parser turns the text into events; the events build a cJSON tree as YAML 1.2's core
 * schema would, minus numbers: a plain scalar is null (~, null, empty), a boolean (true, false)
 * or a string (no kubeconfig field is a number; client-go reads "6443" into a string field too).
 * Quoted and block scalars are strings. Anchors and aliases work; an alias is a copy, and copies
 * are bounded in values and text, so that a few lines cannot expand into gigabytes
 * ("billion laughs").
 */
struct yb_anchor {
	char *name;
	const cJSON *node;   /* in the tree being built; complete */
	size_t nodes, bytes; /* what a copy costs */
};

/* A mapping or sequence being filled; it joins its parent when it ends. */
struct yb_frame {
	cJSON *node;
	char *key;    /* mapping: the key whose value comes next; NULL: a key comes next */
	char *anchor; /* its anchor, registered when it ends */
	unsigned keys;
};

struct yb {
	struct yb_frame stack[YB_DEPTH_MAX];
	unsigned depth;
	struct yb_anchor anchors[YB_ANCHORS_MAX];
	unsigned n_anchors;
	size_t nodes;              /* values made so far, copies included */
	size_t copies, copy_bytes; /* values and bytes of text made by aliases */
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

void yamltree_free(cJSON *n)
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
	yamltree_free(v);
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
		return yb_fail(b, line, 0,
			       "merge keys ('<<') are not supported: write the keys out");
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
	const yaml_char_t *anchor =
		map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
	size_t line = ev->start_mark.line + 1;
	struct yb_frame *f;
	int r;

	if (yb_want_key(b))
		return yb_fail(b, line, 0, "a key must be a string, not a %s",
			       map ? "mapping" : "list");
	if ((r = yb_tag(b, line, tag, map ? YAML_MAP_TAG : YAML_SEQ_TAG)) < 0)
		return r;
	if (b->depth == YB_DEPTH_MAX)
		return yb_fail(b, line, 0, "nested deeper than %d levels", YB_DEPTH_MAX);
	if ((r = yb_spend(b, line, 1)) < 0)
		return r;
	f = &b->stack[b->depth];
	*f = (struct yb_frame){ .node = map ? cJSON_CreateObject() : cJSON_CreateArray() };
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

	free(TAKE_PTR(f->key)); /* libyaml gives every key a value: never set here */
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
				return yb_fail(b, line, 0,
					       "alias '*%.64s' refers to a node that contains it",
					       name);
		return yb_fail(b, line, 0, "alias '*%.64s' has no anchor '&%.64s' before it", name,
			       name);
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
			return yb_fail(b, line, 0, "%s (0x%02x)", problem,
				       (unsigned) p->problem_value);
		return yb_fail(b, line, 0, "%s", problem);
	default:
		if (p->context)
			(void) snprintf(ctx, sizeof(ctx), ", %s from line %zu", p->context,
					p->context_mark.line + 1);
		return yb_fail(b, m->line + 1, m->column + 1, "%s%s%s", problem, ctx,
			       tab_at(text, len, m->line, m->column) ?
				       " (a tab: YAML indents and separates with spaces)" :
				       "");
	}
}

/* The parser's copies of the input and the scalars it has not handed out yet may hold secrets. */
static void yb_parser_wipe(yaml_parser_t *p)
{
	if (p->raw_buffer.start)
		explicit_bzero(p->raw_buffer.start,
			       (size_t) (p->raw_buffer.end - p->raw_buffer.start));
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

int yamltree_parse(const char *text, size_t len, cJSON **out, char *why, size_t why_len)
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

		yamltree_free(f->node);
		secret_free(f->key);
		free(f->anchor);
	}
	for (unsigned i = 0; i < b.n_anchors; i++)
		free(b.anchors[i].name);
	if (r < 0) {
		yamltree_free(b.root);
		if (r == -ENOMEM)
			(void) snprintf(b.why, b.why_len, "out of memory");
		return r;
	}
	*out = b.root ? b.root : cJSON_CreateNull(); /* no document: null, as an empty one */
	return *out ? 0 : -ENOMEM;
}
