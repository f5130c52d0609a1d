/*
 * tmpl-exec.c - text/template's executor (Go 1.19 exec.go semantics).
 *
 * Values carry one bit Go's reflect.Value carries implicitly: whether the
 * value's static type is interface{} (it came out of a map[string]any or
 * []any).  Go behaves differently on such values: a nil element is a "nil
 * pointer evaluating interface {}.x" when a field is taken from it, but an
 * invalid value (a missing key) just yields another invalid value, and
 * error messages name "interface {}" as the type.  A NULL value is Go's
 * invalid reflect.Value ("<no value>").
 *
 * Errors unwind with longjmp to the execution's entry (Go panics and
 * recovers the same way); frames keep nothing on the heap across calls
 * that can fail, and values live in the arena.
 */
#include "core/compat.h"
#include "core/err.h"
#include "core/strbuf.h"
#include "render/helm/tmpl-int.h"
#include "render/helm/fmt.h"

#include <setjmp.h>
#include <stdarg.h>

#define DEFAULT_MAX_STEPS ((size_t)50 * 1000 * 1000)
#define DEFAULT_MAX_DEPTH 3000
#define DEFAULT_MAX_OUTPUT ((size_t)256 << 20)
/* C stacks do not grow as goroutine stacks do: stop well before 8 MiB. */
#define STACK_BUDGET ((size_t)5 << 20)

struct xval {
	struct hv *v; /* NULL: invalid */
	bool iface;
};

struct var {
	const char *name;
	struct xval val;
};

struct texec {
	struct tmpl_set *set;
	struct helm_ctx *c;
	struct strbuf *out;
	const struct tdef *tmpl;
	const struct tnode *node;
	struct var *vars;
	size_t nvars, avars;
	size_t base; /* first variable of the running template */
	size_t max_steps, max_output, max_depth;
	struct var inline_vars[8]; /* most templates need no more: no malloc per include */
	struct xval dot; /* of the template the execution started with */
	bool nested;     /* started by include or tpl inside another execution */
	jmp_buf jb;
	int code;
};

enum { WALK_OK, WALK_BREAK, WALK_CONTINUE };

static const struct xval invalid = { NULL, false };

static struct tmpl_set *root_set(struct tmpl_set *s)
{
	while (s->parent)
		s = s->parent;
	return s;
}

static void NORETURN fail(struct texec *st, int code)
{
	st->code = code;
	longjmp(st->jb, 1);
}

static void NORETURN verrorf_code(struct texec *st, int code, const char *fmt, va_list ap)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addstr(&sb, "template: ");
	if (!st->node) {
		strbuf_addf(&sb, "%s: ", st->tmpl ? st->tmpl->name : st->set->name);
	} else {
		tnode_location(&sb, st->node);
		strbuf_addstr(&sb, ": executing ");
		go_quote(&sb, st->tmpl->name, strlen(st->tmpl->name), false);
		strbuf_addstr(&sb, " at <");
		tnode_string(&sb, st->node);
		strbuf_addstr(&sb, ">: ");
	}
	strbuf_vaddf(&sb, fmt, ap);
	/* err_msg() keeps 2 KiB; nested include errors run longer, as in Helm. */
	st->c->errmsg = hctx_strndup(st->c, sb.buf, sb.len);
	err_set(code, "%s", sb.buf);
	strbuf_release(&sb);
	fail(st, code);
}

static void NORETURN errorf(struct texec *st, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void NORETURN errorf(struct texec *st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verrorf_code(st, ERR_INVALID, fmt, ap);
}

static void NORETURN limitf(struct texec *st, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void NORETURN limitf(struct texec *st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verrorf_code(st, ERR_TOOBIG, fmt, ap);
}

/*
 * Node texts and quoted names for messages, in the arena: an error unwinds
 * with longjmp, so a message's pieces must not sit in heap buffers.
 */
static const char *node_str(struct texec *st, const struct tnode *n);
static const char *quote_str(struct texec *st, const char *s);

static void *xalloc(struct texec *st, size_t n)
{
	void *p = hctx_alloc(st->c, n);

	if (!p)
		limitf(st, "template memory limit exceeded");
	return p;
}

static struct hv *need(struct texec *st, struct hv *v)
{
	if (!v)
		limitf(st, "template memory limit exceeded");
	return v;
}

static const char *arena_copy(struct texec *st, struct strbuf *sb)
{
	char *p = hctx_strndup(st->c, sb->buf, sb->len);

	strbuf_release(sb);
	if (!p)
		limitf(st, "template memory limit exceeded");
	return p;
}

static const char *node_str(struct texec *st, const struct tnode *n)
{
	struct strbuf sb = STRBUF_INIT;

	tnode_string(&sb, n);
	return arena_copy(st, &sb);
}

static const char *quote_str(struct texec *st, const char *s)
{
	struct strbuf sb = STRBUF_INIT;

	go_quote(&sb, s, strlen(s), false);
	return arena_copy(st, &sb);
}

static void step(struct texec *st)
{
	if (++st->c->steps > st->max_steps)
		limitf(st, "template step limit of %zu exceeded", st->max_steps);
}

static void check_output(struct texec *st)
{
	if (st->out->len > st->max_output)
		limitf(st, "template output exceeds %zu bytes", st->max_output);
}

static void at(struct texec *st, const struct tnode *n)
{
	st->node = n;
}

/* The Go type of a value as reflect.Value.Type() reports it. */
static const char *xtype(struct xval x)
{
	if (x.iface)
		return "interface {}";
	return x.v ? x.v->type : "<nil>";
}

/* Whether map or list elements have static type interface{}. */
static bool elems_iface(const struct hv *container)
{
	const char *t = container->type;
	size_t n = strlen(t);

	return strcmp(t, HV_T_VALUES) == 0 || (n >= 12 && strcmp(t + n - 12, "interface {}") == 0);
}

/* ---- variables ---- */

static void push_var(struct texec *st, const char *name, struct xval v)
{
	if (st->nvars == st->avars) {
		size_t na = st->avars * 2;

		if (st->vars == st->inline_vars) {
			st->vars = xmalloc(na * sizeof(*st->vars));
			memcpy(st->vars, st->inline_vars, st->nvars * sizeof(*st->vars));
		} else {
			st->vars = xrealloc(st->vars, na * sizeof(*st->vars));
		}
		st->avars = na;
	}
	st->vars[st->nvars].name = name;
	st->vars[st->nvars].val = v;
	st->nvars++;
}

static void set_var(struct texec *st, const char *name, struct xval v)
{
	size_t i;

	for (i = st->nvars; i > st->base; i--) {
		if (strcmp(st->vars[i - 1].name, name) == 0) {
			st->vars[i - 1].val = v;
			return;
		}
	}
	errorf(st, "undefined variable: %s", name);
}

static struct xval var_value(struct texec *st, const char *name)
{
	size_t i;

	for (i = st->nvars; i > st->base; i--)
		if (strcmp(st->vars[i - 1].name, name) == 0)
			return st->vars[i - 1].val;
	errorf(st, "undefined variable: %s", name);
}

/* ---- evaluation ---- */

static struct xval eval_pipeline(struct texec *st, struct xval dot, const struct tnode *pipe);
static struct xval eval_command(struct texec *st, struct xval dot, const struct tnode *cmd,
				const struct xval *final);
static struct xval eval_arg(struct texec *st, struct xval dot, char code, const struct tnode *n);
static int walk(struct texec *st, struct xval dot, const struct tnode *n);

/* The pipeline's "dig down one level" from interface{} to the value inside. */
static struct xval unwrap(struct xval x)
{
	if (x.v && x.v->kind == HV_NIL)
		return invalid;
	x.iface = false;
	return x;
}

static const char *code_type(char code)
{
	switch (code) {
	case 'a': return "interface {}";
	case 's': return "string";
	case 'i': return "int";
	case 'I': return "int64";
	case 'f': return "float64";
	case 'b': return "bool";
	case 'l': return HV_T_LIST;
	case 'L': return HV_T_STRLIST;
	case 'm': return HV_T_MAP;
	case 'B': return HV_T_BYTES;
	case 't': return HV_T_TIME;
	case 'x': return "reflect.Value";
	}
	return "?";
}

static bool can_be_nil(char code)
{
	return code == 'a' || code == 'x' || code == 'l' || code == 'L' || code == 'm' ||
	       code == 'B';
}

/* The zero value of a nil-able parameter type. */
static struct hv *zero_of(struct texec *st, char code)
{
	switch (code) {
	case 'l':
		return need(st, hv_list_new(st->c, HV_T_LIST, 0));
	case 'L':
		return need(st, hv_list_new(st->c, HV_T_STRLIST, 0));
	case 'm': {
		/* Go passes a nil map: readable, but "assignment to entry in nil map". */
		struct hv *m = need(st, hv_map_new(st->c, HV_T_MAP));

		m->map = NULL;
		return m;
	}
	case 'B':
		return need(st, hv_bytes(st->c, "", 0));
	case 'x':
		return NULL;
	default:
		return hv_nil();
	}
}

static bool assignable(const struct hv *v, char code)
{
	switch (code) {
	case 'a':
	case 'x':
		return true;
	case 's':
		return v->kind == HV_STRING && strcmp(v->type, HV_T_STRING) == 0;
	case 'i':
		return v->kind == HV_INT && strcmp(v->type, HV_T_INT) == 0;
	case 'I':
		return v->kind == HV_INT && strcmp(v->type, HV_T_INT64) == 0;
	case 'f':
		return v->kind == HV_FLOAT && strcmp(v->type, HV_T_FLOAT64) == 0;
	case 'b':
		return v->kind == HV_BOOL;
	case 'l':
		return v->kind == HV_LIST && strcmp(v->type, HV_T_LIST) == 0;
	case 'L':
		return v->kind == HV_LIST && strcmp(v->type, HV_T_STRLIST) == 0;
	case 'm':
		/* chartutil.Values has map[string]interface{} as its underlying type */
		return v->kind == HV_MAP &&
		       (strcmp(v->type, HV_T_MAP) == 0 || strcmp(v->type, HV_T_VALUES) == 0);
	case 'B':
		return v->kind == HV_BYTES;
	case 't':
		return v->kind == HV_TIME;
	}
	return false;
}

/* validateType: the value as the parameter receives it (code 0: untyped). */
static struct hv *validate_type(struct texec *st, struct xval x, char code)
{
	if (!x.v) {
		if (code == 0)
			return NULL;
		if (can_be_nil(code))
			return zero_of(st, code);
		errorf(st, "invalid value; expected %s", code_type(code));
	}
	if (code == 0 || code == 'a' || code == 'x')
		return x.v;
	if (x.iface && x.v->kind == HV_NIL)
		errorf(st, "wrong type for value; expected %s; got interface {}", code_type(code));
	if (!assignable(x.v, code))
		errorf(st, "wrong type for value; expected %s; got %s", code_type(code), x.v->type);
	return x.v;
}

static struct xval xv(struct hv *v)
{
	struct xval x = { v, false };

	return x;
}

static struct hv *ideal_constant(struct texec *st, const struct tnode *n)
{
	at(st, n);
	if (!n->num.ideal)
		errorf(st, "%.*s overflows int", (int)n->num.len, n->num.text);
	return n->num.ideal;
}

static void not_a_function(struct texec *st, const struct tnode *const *args, size_t nargs,
			   const struct xval *final)
{
	if (nargs > 1 || final)
		errorf(st, "can't give argument to non-function %s", node_str(st, args[0]));
}

/* Parameter codes of a function: count, and whether the last is variadic. */
static void parse_params(const char *params, size_t *n, bool *variadic)
{
	size_t k = 0;

	*variadic = false;
	for (; params && *params; params++) {
		if (*params == '*')
			*variadic = true;
		else
			k++;
	}
	*n = k;
}

static char param_code(const char *params, size_t i, size_t n, bool variadic)
{
	size_t k = 0;
	const char *p;

	if (variadic && i >= n - 1)
		i = n - 1;
	for (p = params; *p; p++) {
		if (*p == '*')
			continue;
		if (k++ == i)
			return *p;
	}
	return 'a';
}

static bool truth_x(struct hv *v)
{
	return v && hv_truth(v);
}

/*
 * evalCall: checks the argument count, evaluates and converts arguments
 * as reflect.Call would, runs the function and wraps its error.
 */
static struct xval eval_call(struct texec *st, struct xval dot, const char *name,
			     const char *params, const struct hfunc *f,
			     const struct hv_method *m, void *self, bool builtin,
			     const struct tnode *node, const struct tnode *const *args,
			     size_t nargs, const struct xval *final)
{
	size_t nparams, num_in, num_fixed, i;
	bool variadic;
	struct hv **argv;
	struct hv *out = NULL;
	int r;

	if (args) {
		args++; /* the function's own name */
		nargs--;
	}
	parse_params(params, &nparams, &variadic);
	num_in = nargs + (final ? 1 : 0);
	num_fixed = nargs;
	if (variadic) {
		num_fixed = nparams - 1;
		if (num_in < num_fixed)
			errorf(st, "wrong number of args for %s: want at least %zu got %zu", name,
			       nparams - 1, nargs);
	} else if (num_in != nparams) {
		errorf(st, "wrong number of args for %s: want %zu got %zu", name, nparams, num_in);
	}

	if (builtin && (strcmp(name, "and") == 0 || strcmp(name, "or") == 0)) {
		bool is_or = name[0] == 'o';
		struct hv *v = NULL;

		for (i = 0; i < nargs; i++) {
			v = validate_type(st, eval_arg(st, dot, 'x', args[i]), 'x');
			if (truth_x(v) == is_or)
				return xv(v);
		}
		if (final)
			v = validate_type(st, *final, 'x');
		return xv(v);
	}

	argv = xalloc(st, (num_in ? num_in : 1) * sizeof(*argv));
	for (i = 0; i < num_fixed && i < nargs; i++)
		argv[i] = validate_type(st, eval_arg(st, dot, param_code(params, i, nparams, variadic), args[i]),
					param_code(params, i, nparams, variadic));
	if (variadic)
		for (; i < nargs; i++)
			argv[i] = validate_type(st, eval_arg(st, dot, param_code(params, nparams - 1, nparams, true), args[i]),
						param_code(params, nparams - 1, nparams, true));
	if (final) {
		char code = param_code(params, num_in - 1, nparams, variadic);

		argv[i] = validate_type(st, *final, code);
	}
	st->c->errmsg = NULL;
	if (m)
		r = m->fn(st->c, &out, self, argv, num_in);
	else
		r = f->fn(st->c, &out, argv, num_in);
	if (r) {
		at(st, node);
		/* err_set() reuses its buffer: copy the callee's message first. */
		const char *msg = hctx_strndup(st->c, st->c->errmsg ? st->c->errmsg : err_msg(),
					       strlen(st->c->errmsg ? st->c->errmsg : err_msg()));

		if (!msg)
			msg = "template memory limit exceeded";
		if (r == ERR_TOOBIG) /* a limit stopped a nested include or tpl */
			limitf(st, "error calling %s: %s", name, msg);
		errorf(st, "error calling %s: %s", name, msg);
	}
	return xv(out);
}

/*
 * reflect.Zero of a map's element type, for missingkey=zero: nil for
 * map[string]interface{}, "" for Sprig's map[string]string (split), ...
 */
static struct xval zero_elem(struct texec *st, const struct hv *map)
{
	const char *t = map->type;
	struct xval x = { hv_nil(), true };

	if (strncmp(t, "map[string]", 11) != 0)
		return x; /* chartutil.Values and other named maps of interface{} */
	t += 11;
	x.iface = false;
	if (!strcmp(t, "string"))
		x.v = need(st, hv_str(st->c, "", 0));
	else if (!strcmp(t, "int") || !strcmp(t, "int64"))
		x.v = need(st, hv_int_t(st->c, 0, t));
	else if (!strcmp(t, "float64"))
		x.v = need(st, hv_float(st->c, 0));
	else if (!strcmp(t, "bool"))
		x.v = hv_bool(false);
	else if (!strncmp(t, "map[", 4)) {
		x.v = need(st, hv_map_new(st->c, t));
		x.v->map = NULL; /* a nil map */
	} else if (!strncmp(t, "[]", 2) && strcmp(t, HV_T_BYTES) != 0)
		x.v = need(st, hv_list_new(st->c, t, 0));
	else {
		x.v = hv_nil();
		x.iface = true;
	}
	return x;
}

static struct xval eval_field(struct texec *st, struct xval dot, const char *name,
			      const struct tnode *node, const struct tnode *const *args,
			      size_t nargs, const struct xval *final, struct xval recv)
{
	const char *typ;
	struct hv *v = recv.v;
	bool has_args = nargs > 1 || final;

	if (!v) {
		if (st->set->mk == TMPL_MISSINGKEY_ERROR)
			errorf(st, "nil data; no entry for key \"%s\"", name);
		return invalid;
	}
	typ = xtype(recv);
	if (v->kind == HV_NIL)
		errorf(st, "nil pointer evaluating %s.%s", typ, name);
	if (v->kind == HV_OBJ) {
		const struct hv_method *m;
		struct hv *fv;

		for (m = v->obj.cls->methods; m && m->name; m++)
			if (strcmp(m->name, name) == 0)
				return eval_call(st, dot, name, m->params, NULL, m, v->obj.self, false,
						 node, args, nargs, final);
		fv = v->obj.cls->field ? v->obj.cls->field(st->c, v->obj.self, name) : NULL;
		if (fv) {
			struct xval x = { fv, fv->kind == HV_NIL };

			if (has_args)
				errorf(st, "%s has arguments but cannot be invoked as function", name);
			return x;
		}
	} else if (v->kind == HV_MAP) {
		struct hv *e;
		struct xval x;

		if (has_args)
			errorf(st, "%s is not a method but has arguments", name);
		e = hv_map_get(v, name, strlen(name));
		x.iface = elems_iface(v) || (e && e->kind == HV_NIL);
		if (e) {
			x.v = e;
			return x;
		}
		switch (st->set->mk) {
		case TMPL_MISSINGKEY_DEFAULT:
			return invalid;
		case TMPL_MISSINGKEY_ZERO:
			return zero_elem(st, v);
		case TMPL_MISSINGKEY_ERROR:
			errorf(st, "map has no entry for key \"%s\"", name);
		}
	}
	errorf(st, "can't evaluate field %s in type %s", name, typ);
}

static struct xval eval_field_chain(struct texec *st, struct xval dot, struct xval recv,
				    const struct tnode *node, const char *const *ident,
				    size_t nident, const struct tnode *const *args, size_t nargs,
				    const struct xval *final)
{
	size_t i;

	for (i = 0; i + 1 < nident; i++)
		recv = eval_field(st, dot, ident[i], node, NULL, 0, NULL, recv);
	return eval_field(st, dot, ident[nident - 1], node, args, nargs, final, recv);
}

static struct xval eval_field_node(struct texec *st, struct xval dot, const struct tnode *f,
				   const struct tnode *const *args, size_t nargs,
				   const struct xval *final)
{
	at(st, f);
	return eval_field_chain(st, dot, dot, f, f->field.ident, f->field.nident, args, nargs,
				final);
}

static struct xval eval_chain_node(struct texec *st, struct xval dot, const struct tnode *ch,
				   const struct tnode *const *args, size_t nargs,
				   const struct xval *final)
{
	struct xval pipe;

	at(st, ch);
	if (ch->field.node->type == N_NIL) errorf(st, "indirection through explicit nil in %s", node_str(st, ch));
	pipe = eval_arg(st, dot, 0, ch->field.node);
	return eval_field_chain(st, dot, pipe, ch, ch->field.ident, ch->field.nident, args, nargs,
				final);
}

static struct xval eval_variable_node(struct texec *st, struct xval dot, const struct tnode *v,
				      const struct tnode *const *args, size_t nargs,
				      const struct xval *final)
{
	struct xval val;

	at(st, v);
	val = var_value(st, v->field.ident[0]);
	if (v->field.nident == 1) {
		if (args)
			not_a_function(st, args, nargs, final);
		return val;
	}
	return eval_field_chain(st, dot, val, v, v->field.ident + 1, v->field.nident - 1, args,
				nargs, final);
}

static struct xval eval_function(struct texec *st, struct xval dot, const struct tnode *id,
				 const struct tnode *cmd, const struct tnode *const *args,
				 size_t nargs, const struct xval *final)
{
	at(st, id);
	return eval_call(st, dot, id->ident.name, id->ident.fn->params, id->ident.fn, NULL, NULL,
			 id->ident.builtin, cmd, args, nargs, final);
}

/* evalArg + the conversion of literal constants to the parameter's type. */
static struct xval eval_arg(struct texec *st, struct xval dot, char code, const struct tnode *n)
{
	struct xval r;

	at(st, n);
	switch (n->type) {
	case N_DOT:
		return dot;
	case N_NIL:
		if (can_be_nil(code)) {
			r.v = zero_of(st, code);
			r.iface = code == 'a';
			return r;
		}
		errorf(st, "cannot assign nil to %s", code_type(code));
	case N_FIELD:
		return eval_field_node(st, dot, n, &n, 1, NULL);
	case N_VARIABLE:
		return eval_variable_node(st, dot, n, NULL, 0, NULL);
	case N_PIPE:
		return eval_pipeline(st, dot, n);
	case N_IDENTIFIER:
		return eval_function(st, dot, n, n, NULL, 0, NULL);
	case N_CHAIN:
		return eval_chain_node(st, dot, n, NULL, 0, NULL);
	default:
		break;
	}
	switch (code) {
	case 'b':
		if (n->type == N_BOOL)
			return xv(hv_bool(n->b));
		errorf(st, "expected bool; found %s", node_str(st, n));
	case 'f':
		if (n->type == N_NUMBER && n->num.is_float)
			return xv(need(st, hv_float(st->c, n->num.f)));
		errorf(st, "expected float; found %s", node_str(st, n));
	case 'i':
	case 'I':
		if (n->type == N_NUMBER && n->num.is_int)
			return xv(need(st, hv_int_t(st->c, n->num.i, code == 'i' ? HV_T_INT : HV_T_INT64)));
		errorf(st, "expected integer; found %s", node_str(st, n));
	case 's':
		if (n->type == N_STRING)
			return xv(n->str.val);
		errorf(st, "expected string; found %s", node_str(st, n));
	case 'a':
	case 'x':
		switch (n->type) {
		case N_BOOL:
			return xv(hv_bool(n->b));
		case N_NUMBER:
			return xv(ideal_constant(st, n));
		case N_STRING:
			return xv(n->str.val);
		default:
			break;
		}
		break;
	default:
		break;
	}
	errorf(st, "can't handle %s for arg of type %s", node_str(st, n), code_type(code));
}

static struct xval eval_command(struct texec *st, struct xval dot, const struct tnode *cmd,
				const struct xval *final)
{
	const struct tnode *const *args = (const struct tnode *const *)cmd->list.items;
	size_t nargs = cmd->list.n;
	const struct tnode *first = args[0];

	step(st);
	switch (first->type) {
	case N_FIELD:
		return eval_field_node(st, dot, first, args, nargs, final);
	case N_CHAIN:
		return eval_chain_node(st, dot, first, args, nargs, final);
	case N_IDENTIFIER:
		return eval_function(st, dot, first, cmd, args, nargs, final);
	case N_PIPE:
		not_a_function(st, args, nargs, final);
		return eval_pipeline(st, dot, first);
	case N_VARIABLE:
		return eval_variable_node(st, dot, first, args, nargs, final);
	default:
		break;
	}
	at(st, first);
	not_a_function(st, args, nargs, final);
	switch (first->type) {
	case N_BOOL:
		return xv(hv_bool(first->b));
	case N_DOT:
		return dot;
	case N_NIL:
		errorf(st, "nil is not a command");
	case N_NUMBER:
		return xv(ideal_constant(st, first));
	case N_STRING:
		return xv(first->str.val);
	default:
		break;
	}
	errorf(st, "can't evaluate command %s", quote_str(st, node_str(st, first)));
}

static struct xval eval_pipeline(struct texec *st, struct xval dot, const struct tnode *pipe)
{
	struct xval value = invalid;
	size_t i;

	if (!pipe)
		return invalid;
	at(st, pipe);
	for (i = 0; i < pipe->pipe.ncmds; i++) {
		value = eval_command(st, dot, pipe->pipe.cmds[i], i ? &value : NULL);
		value = unwrap(value);
	}
	for (i = 0; i < pipe->pipe.ndecl; i++) {
		if (pipe->pipe.is_assign)
			set_var(st, pipe->pipe.decl[i]->field.ident[0], value);
		else
			push_var(st, pipe->pipe.decl[i]->field.ident[0], value);
	}
	return value;
}

/* ---- walking ---- */

static void print_value(struct texec *st, const struct tnode *n, struct xval v)
{
	int r;

	at(st, n);
	if (!v.v || v.v->kind == HV_NIL) {
		strbuf_addstr(st->out, "<no value>");
	} else {
		r = hv_format_v(st->c, st->out, v.v);
		if (r)
			limitf(st, "%s", err_msg());
	}
	check_output(st);
}

static int walk_list(struct texec *st, struct xval dot, const struct tnode *list)
{
	size_t i;
	int r;

	for (i = 0; i < list->list.n; i++) {
		r = walk(st, dot, list->list.items[i]);
		if (r)
			return r;
	}
	return WALK_OK;
}

static int walk_if_or_with(struct texec *st, struct xval dot, const struct tnode *n)
{
	size_t mark = st->nvars;
	struct xval val = eval_pipeline(st, dot, n->branch.pipe);
	int r = WALK_OK;

	if (truth_x(val.v))
		r = walk_list(st, n->type == N_WITH ? val : dot, n->branch.list);
	else if (n->branch.else_list)
		r = walk_list(st, dot, n->branch.else_list);
	st->nvars = mark;
	return r;
}

static int one_iteration(struct texec *st, const struct tnode *r, size_t mark, struct xval index,
			 struct xval elem)
{
	int w;

	if (r->branch.pipe->pipe.ndecl > 0)
		st->vars[st->nvars - 1].val = elem;
	if (r->branch.pipe->pipe.ndecl > 1)
		st->vars[st->nvars - 2].val = index;
	w = walk_list(st, elem, r->branch.list);
	st->nvars = mark;
	return w;
}

static void walk_range(struct texec *st, struct xval dot, const struct tnode *r)
{
	size_t mark0 = st->nvars, mark, i;
	struct xval val;
	struct hv *v;

	at(st, r);
	val = eval_pipeline(st, dot, r->branch.pipe);
	mark = st->nvars;
	v = tmpl_map_view(st->c, val.v);
	if (v && v->kind == HV_NIL)
		v = NULL;
	if (!v)
		goto else_branch;
	switch (v->kind) {
	case HV_LIST: {
		bool iface = elems_iface(v);

		if (v->list->n == 0)
			break;
		for (i = 0; i < v->list->n; i++) {
			struct xval e = { v->list->items[i], iface || v->list->items[i]->kind == HV_NIL };
			int w = one_iteration(st, r, mark, xv(need(st, hv_int(st->c, (int64_t)i))), e);

			if (w == WALK_BREAK)
				break;
		}
		st->nvars = mark0;
		return;
	}
	case HV_BYTES:
		if (v->len == 0)
			break;
		for (i = 0; i < v->len; i++) {
			struct hv *b = need(st, hv_uint_t(st->c, (unsigned char)v->s[i], "uint8"));
			int w = one_iteration(st, r, mark, xv(need(st, hv_int(st->c, (int64_t)i))), xv(b));

			if (w == WALK_BREAK)
				break;
		}
		st->nvars = mark0;
		return;
	case HV_MAP: {
		const char **keys;
		size_t *lens, n;
		bool iface = elems_iface(v);

		if (hv_map_len(v) == 0)
			break;
		if (hv_map_keys(st->c, v, &keys, &lens, &n))
			limitf(st, "template memory limit exceeded");
		for (i = 0; i < n; i++) {
			struct hv *e = hv_map_get(v, keys[i], lens[i]);
			struct xval ev = { e, iface || e->kind == HV_NIL };
			struct hv *k = need(st, hv_str(st->c, keys[i], lens[i]));
			int w;

			/* The map may change under the loop (Sprig's set); Go sees the snapshot. */
			if (!e)
				continue;
			w = one_iteration(st, r, mark, xv(k), ev);
			if (w == WALK_BREAK)
				break;
		}
		st->nvars = mark0;
		return;
	}
	default: {
		struct strbuf sb = STRBUF_INIT;

		hv_format_v(st->c, &sb, v);
		errorf(st, "range can't iterate over %s", arena_copy(st, &sb));
	}
	}
else_branch:
	if (r->branch.else_list)
		walk_list(st, dot, r->branch.else_list);
	st->nvars = mark0;
}

static const char *stack_mark(void)
{
	char here;
	const char *p = &here;

	/* Launder the address so the compiler does not warn about a dangling local. */
	__asm__("" : "+r"(p));
	return p;
}

static void enter_depth(struct texec *st)
{
	struct tmpl_set *root = root_set(st->set);
	const char *here = stack_mark();
	size_t used = root->stack_base > here ? (size_t)(root->stack_base - here)
					      : (size_t)(here - root->stack_base);

	if (root->depth >= st->max_depth)
		limitf(st, "exceeded maximum template depth (%zu)", st->max_depth);
	if (used > STACK_BUDGET)
		limitf(st, "exceeded maximum template depth (nesting uses %zu bytes of stack)", used);
	root->depth++;
}

static void walk_template(struct texec *st, struct xval dot, const struct tnode *t)
{
	const struct tdef *d, *saved_tmpl = st->tmpl;
	size_t saved_base = st->base, mark = st->nvars;

	at(st, t);
	d = tmpl_lookup(st->set, t->tmpl.name);
	if (!d || !d->root)
		errorf(st, "template %s not defined", quote_str(st, t->tmpl.name));
	enter_depth(st);
	dot = eval_pipeline(st, dot, t->tmpl.pipe);
	st->tmpl = d;
	st->base = st->nvars;
	push_var(st, "$", dot);
	walk_list(st, dot, d->root);
	st->tmpl = saved_tmpl;
	st->base = saved_base;
	st->nvars = mark;
	root_set(st->set)->depth--;
}

static int walk(struct texec *st, struct xval dot, const struct tnode *n)
{
	at(st, n);
	step(st);
	switch (n->type) {
	case N_ACTION: {
		struct xval val = eval_pipeline(st, dot, n->action_pipe);

		if (n->action_pipe->pipe.ndecl == 0)
			print_value(st, n, val);
		return WALK_OK;
	}
	case N_BREAK:
		return WALK_BREAK;
	case N_CONTINUE:
		return WALK_CONTINUE;
	case N_COMMENT:
		return WALK_OK;
	case N_IF:
	case N_WITH:
		return walk_if_or_with(st, dot, n);
	case N_LIST:
		return walk_list(st, dot, n);
	case N_RANGE:
		walk_range(st, dot, n);
		return WALK_OK;
	case N_TEMPLATE:
		walk_template(st, dot, n);
		return WALK_OK;
	case N_TEXT:
		strbuf_add(st->out, n->text.text, n->text.len);
		check_output(st);
		return WALK_OK;
	default: errorf(st, "unknown node: %s", node_str(st, n));
	}
}

/* The part of an execution that errors unwind to; everything it needs is in st. */
static int exec_run(struct texec *st)
{
	if (setjmp(st->jb))
		return st->code;
	if (st->nested)
		enter_depth(st); /* include and tpl nest as template calls do */
	if (!st->tmpl->root)
		errorf(st, "%s is an incomplete or empty template", quote_str(st, st->tmpl->name));
	push_var(st, "$", st->dot);
	walk_list(st, st->dot, st->tmpl->root);
	return 0;
}

int tmpl_exec_named(struct tmpl_set *s, const char *name, struct hv *dot, struct strbuf *out)
{
	struct texec stack_st, *st = &stack_st;
	struct helm_ctx *c = s->c;
	struct tmpl_set *root = root_set(s), *saved_engine = c->engine;
	const struct tdef *d = tmpl_lookup(s, name);
	size_t saved_depth = root->depth;
	const char *saved_base = root->stack_base;
	int r;

	if (!d) {
		struct strbuf q1 = STRBUF_INIT, q2 = STRBUF_INIT;

		go_quote(&q1, name, strlen(name), false);
		go_quote(&q2, root->name, strlen(root->name), false);
		r = err_set(ERR_INVALID, "template: no template %s associated with template %s",
			    q1.buf, q2.buf);
		strbuf_release(&q1);
		strbuf_release(&q2);
		return r;
	}
	memset(st, 0, sizeof(*st));
	st->vars = st->inline_vars;
	st->avars = ARRAY_SIZE(st->inline_vars);
	st->set = s;
	st->c = c;
	st->out = out;
	st->tmpl = d;
	st->dot.v = dot && dot->kind != HV_NIL ? dot : NULL;
	st->nested = saved_base != NULL;
	st->max_steps = c->max_steps ? c->max_steps : DEFAULT_MAX_STEPS;
	st->max_output = c->max_output ? c->max_output : DEFAULT_MAX_OUTPUT;
	st->max_depth = c->max_depth ? c->max_depth : DEFAULT_MAX_DEPTH;
	if (!root->stack_base)
		root->stack_base = stack_mark();
	c->engine = s;
	r = exec_run(st);
	root->depth = saved_depth;
	root->stack_base = saved_base;
	c->engine = saved_engine;
	if (st->vars != st->inline_vars)
		free(st->vars);
	return r;
}

int tmpl_execute(struct tmpl_set *s, const char *name, struct hv *dot, struct strbuf *out)
{
	return tmpl_exec_named(s, name, dot, out);
}

/* ---- Helm's include and tpl ---- */

static int fn_include(struct helm_ctx *c, struct hv **out, struct hv *const *args, size_t nargs)
{
	struct tmpl_set *s = c->engine;
	struct hv *count;
	struct strbuf buf = STRBUF_INIT;
	const char *name = args[0]->s;
	int r;

	(void)nargs;
	if (!s)
		return hctx_fail(c, "include outside template execution");
	count = hv_map_get(root_set(s)->include_count, name, args[0]->len);
	if (count && count->i > 1000)
		return hctx_fail(c, "rendering template has a nested reference name: %s: unable to execute template",
				 name);
	if (!count) {
		count = hv_int(c, 0);
		if (!count || hv_map_set(c, root_set(s)->include_count, name, args[0]->len, count))
			return ERR_TOOBIG;
	}
	count->i++;
	r = tmpl_exec_named(s, name, args[1], &buf);
	count->i--;
	if (r) {
		strbuf_release(&buf);
		if (r == ERR_TOOBIG)
			return r;
		return hctx_fail(c, "%s", c->errmsg ? c->errmsg : err_msg());
	}
	*out = hv_str(c, buf.buf, buf.len);
	strbuf_release(&buf);
	return *out ? 0 : ERR_TOOBIG;
}

struct tmpl_set *tmpl_set_copy(struct tmpl_set *s)
{
	struct tmpl_set *n = xcalloc(1, sizeof(*n));

	n->c = s->c;
	n->name = s->name;
	n->parent = s;
	n->defs = hv_map_new(s->c, NULL);
	n->funcs = s->funcs;
	n->mk = s->mk;
	n->include_count = s->include_count;
	if (!n->defs) {
		free(n);
		return NULL;
	}
	return n;
}

static int fn_tpl(struct helm_ctx *c, struct hv **out, struct hv *const *args, size_t nargs)
{
	struct tmpl_set *s = c->engine, *copy;
	struct strbuf buf = STRBUF_INIT, q = STRBUF_INIT, res = STRBUF_INIT;
	const char *text = args[0]->s, *p, *end;
	int r;

	(void)nargs;
	if (!s)
		return hctx_fail(c, "tpl outside template execution");
	go_quote(&q, text, args[0]->len, false);
	copy = tmpl_set_copy(s);
	if (!copy) {
		r = ERR_TOOBIG;
		goto out;
	}
	r = tmpl_parse_into(copy, copy->name, text, args[0]->len);
	if (r) {
		if (r != ERR_TOOBIG)
			r = hctx_fail(c, "cannot parse template %s: %s", q.buf, err_msg()); /* short */
		goto out;
	}
	r = tmpl_exec_named(copy, copy->name, args[1], &buf);
	if (r) {
		if (r != ERR_TOOBIG)
			r = hctx_fail(c, "error during tpl function execution for %s: %s", q.buf,
				      c->errmsg ? c->errmsg : err_msg());
		goto out;
	}
	/* Helm drops "<no value>" from tpl's output as from a template's. */
	for (p = buf.buf, end = buf.buf + buf.len; p < end;) {
		const char *hit = memmem(p, (size_t)(end - p), "<no value>", 10);

		if (!hit) {
			strbuf_add(&res, p, (size_t)(end - p));
			break;
		}
		strbuf_add(&res, p, (size_t)(hit - p));
		p = hit + 10;
	}
	*out = hv_str(c, res.buf, res.len);
	if (!*out)
		r = ERR_TOOBIG;
out:
	free(copy);
	strbuf_release(&buf);
	strbuf_release(&q);
	strbuf_release(&res);
	return r;
}

const struct hfunc tmpl_helm_engine_funcs[] = {
	{ "include", fn_include, "sa", 2 },
	{ "tpl", fn_tpl, "sa", 2 },
	{ NULL, NULL, NULL, 0 },
};
