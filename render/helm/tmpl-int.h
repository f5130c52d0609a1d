/*
 * tmpl-int.h - the parse tree and internals shared by tmpl-lex.c,
 * tmpl-parse.c, tmpl-exec.c and tmpl-builtins.c.  Not an API: see tmpl.h.
 *
 * The tree mirrors text/template/parse's nodes so that error positions and
 * the node texts Go prints in errors ("at <.Values.x>") come out the same.
 */
#ifndef HOIST_HELM_TMPL_INT_H
#define HOIST_HELM_TMPL_INT_H

#include "render/helm/tmpl.h"

/* ---- lexer ---- */

enum item_type {
	ITEM_ERROR,
	ITEM_BOOL,
	ITEM_CHAR,
	ITEM_CHAR_CONSTANT,
	ITEM_COMMENT,
	ITEM_COMPLEX,
	ITEM_ASSIGN,
	ITEM_DECLARE,
	ITEM_EOF,
	ITEM_FIELD,
	ITEM_IDENTIFIER,
	ITEM_LEFT_DELIM,
	ITEM_LEFT_PAREN,
	ITEM_NUMBER,
	ITEM_PIPE,
	ITEM_RAW_STRING,
	ITEM_RIGHT_DELIM,
	ITEM_RIGHT_PAREN,
	ITEM_SPACE,
	ITEM_STRING,
	ITEM_TEXT,
	ITEM_VARIABLE,
	ITEM_KEYWORD, /* keywords follow */
	ITEM_BLOCK,
	ITEM_BREAK,
	ITEM_CONTINUE,
	ITEM_DOT,
	ITEM_DEFINE,
	ITEM_ELSE,
	ITEM_END,
	ITEM_IF,
	ITEM_NIL,
	ITEM_RANGE,
	ITEM_TEMPLATE,
	ITEM_WITH,
};

struct item {
	enum item_type type;
	uint32_t pos;
	uint32_t len; /* val is text[pos..pos+len), or msg for ITEM_ERROR */
	int line;
	const char *msg;
};

/*
 * Tokenizes the whole text at once (Go's lexer runs ahead of the parser
 * in a goroutine; the parser sees the same stream).  The last item is
 * ITEM_EOF or ITEM_ERROR.  *items is the caller's to free().
 */
int tmpl_lex(struct helm_ctx *c, const char *text, size_t len, bool break_ok,
	     bool continue_ok, struct item **items, size_t *n);

/* ---- parse tree ---- */

enum node_type {
	N_TEXT,
	N_ACTION,
	N_BOOL,
	N_CHAIN,
	N_COMMAND,
	N_DOT,
	N_FIELD,
	N_IDENTIFIER,
	N_IF,
	N_LIST,
	N_NIL,
	N_NUMBER,
	N_PIPE,
	N_RANGE,
	N_STRING,
	N_TEMPLATE,
	N_VARIABLE,
	N_WITH,
	N_COMMENT,
	N_BREAK,
	N_CONTINUE,
	N_END, /* parser only */
	N_ELSE, /* parser only */
};

struct ttree; /* one parsed text: name and bytes, for error positions */

struct tnode {
	enum node_type type;
	uint32_t pos;
	const struct ttree *tree;
	union {
		struct { /* N_TEXT, N_COMMENT */
			const char *text;
			size_t len;
		} text;
		struct { /* N_LIST, N_COMMAND */
			struct tnode **items;
			size_t n, alloc;
		} list;
		struct { /* N_PIPE */
			struct tnode **decl; /* N_VARIABLE */
			size_t ndecl;
			struct tnode **cmds; /* N_COMMAND */
			size_t ncmds, alloc;
			bool is_assign;
		} pipe;
		struct tnode *action_pipe; /* N_ACTION */
		struct { /* N_FIELD, N_VARIABLE (ident[0] is "$x"), N_CHAIN */
			const char **ident;
			size_t nident;
			struct tnode *node; /* N_CHAIN: the operand */
		} field;
		struct { /* N_IDENTIFIER */
			const char *name;
			const struct hfunc *fn;
			bool builtin;
		} ident;
		bool b; /* N_BOOL */
		struct { /* N_NUMBER */
			const char *text;
			size_t len;
			bool is_int, is_uint, is_float;
			int64_t i;
			uint64_t u;
			double f;
			struct hv *ideal; /* the untyped constant as interface{}; NULL: overflows int */
		} num;
		struct { /* N_STRING */
			const char *quoted;
			size_t qlen;
			struct hv *val;
		} str;
		struct { /* N_IF, N_RANGE, N_WITH */
			struct tnode *pipe, *list, *else_list;
		} branch;
		struct { /* N_TEMPLATE */
			const char *name;
			struct tnode *pipe; /* may be NULL */
		} tmpl;
	};
};

struct ttree {
	const char *parse_name; /* the top-level name being parsed, for locations */
	const char *text;
	size_t len;
};

/* A named template of a set. */
struct tdef {
	const char *name;
	struct tnode *root; /* N_LIST; NULL: incomplete */
};

struct tmpl_set {
	struct helm_ctx *c;
	const char *name;
	struct tmpl_set *parent; /* tpl's copy of the set reads through to the original */
	struct hv *defs;         /* name -> tdef (HV_OBJ) */
	const struct hfunc **tables;
	size_t ntables;
	struct hv *funcs; /* name -> hfunc (HV_OBJ), user tables then builtins */
	enum tmpl_missingkey mk;
	struct hv *include_count; /* shared with copies: name -> HV_INT */
	/* Nesting of template calls, include and tpl; kept on the original set. */
	size_t depth;
	const char *stack_base; /* where the outermost execution started */
};

/* Parses into the set (tmpl_parse without the public checks). */
int tmpl_parse_into(struct tmpl_set *s, const char *name, const char *text, size_t len);
const struct hfunc *tmpl_find_func(const struct tmpl_set *s, const char *name, bool *builtin);
struct tdef *tmpl_lookup(const struct tmpl_set *s, const char *name);

/* Go's node.String(), for error contexts. */
void tnode_string(struct strbuf *sb, const struct tnode *n);
/* "NAME:LINE:COL" of a node, as Tree.ErrorContext gives it. */
void tnode_location(struct strbuf *sb, const struct tnode *n);


/*
 * ExecuteTemplate on a set (the original or a tpl copy); dot NULL is Go's
 * invalid value.  Nested calls (include) count towards the depth limit.
 */
int tmpl_exec_named(struct tmpl_set *s, const char *name, struct hv *dot, struct strbuf *out);
/* A tpl copy of `s`: reads `s`'s templates and functions, keeps its own defines. */
struct tmpl_set *tmpl_set_copy(struct tmpl_set *s);

/*
 * The map a Go map type with methods (hv_class.as_map: Helm's .Files)
 * holds, for range, index and len; other values are returned as they are.
 */
static inline struct hv *tmpl_map_view(struct helm_ctx *c, struct hv *v)
{
	if (v && v->kind == HV_OBJ && v->obj.cls->as_map) {
		struct hv *m = v->obj.cls->as_map(c, v->obj.self);

		return m ? m : v;
	}
	return v;
}

/* strconv.Unquote for Go string, raw string and char literals. */
int go_unquote(struct helm_ctx *c, const char *s, size_t n, char **out, size_t *outlen);
/* strconv.UnquoteChar of one char literal 'x'; returns false when malformed. */
bool go_unquote_char(const char *s, size_t n, int32_t *r);

#endif
