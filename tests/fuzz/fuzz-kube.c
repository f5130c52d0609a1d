/*
 * fuzz-kube.c - the agent's parsers of what an API server (or the cluster)
 * sends back.  The first byte picks the parser, the rest is its input:
 *   0  kube_status_parse()                  an API Status error body
 *   1  kube_discovery_parse_aggregated()    apidiscovery.k8s.io v2/v2beta1
 *   2  kube_discovery_parse_resources()     a legacy APIResourceList
 *   3  kube_discovery_parse_groups()        /api (APIVersions) or /apis (APIGroupList)
 *   4  kube_parse_list()                    a LIST page
 *   5  kube_parse_object() + health_check() a live object and its health
 *   6  inventory_decode()                   an inventory's stored gzip
 *   7  kube_conf_parse()                    a kubeconfig
 * No network and no files.
 */
#include "core/compat.h"
#include "agent/health.h"
#include "agent/inventory.h"
#include "agent/kube.h"
#include "model/doc.h"
#include "core/err.h"
#include "core/strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf;
	struct kube_status st;
	struct kube_discovery *d;
	struct doc_stream *s = NULL;
	struct doc_node *items;
	struct strbuf sb = STRBUF_INIT;
	struct inventory inv = { 0 };
	struct kube_conf *kc = NULL;
	char **gvs;
	size_t n, i;
	uint8_t sel;

	if (!size)
		return 0;
	sel = data[0] % 9;
	buf = (const char *)data + 1;
	size--;
	switch (sel) {
	case 0:
		if (!kube_status_parse(&st, buf, size))
			kube_status_release(&st);
		break;
	case 1:
	case 2:
		d = xcalloc(1, sizeof(*d));
		if (sel == 1)
			kube_discovery_parse_aggregated(d, buf, size);
		else
			kube_discovery_parse_resources(d, "apps/v1", buf, size);
		/* What discovery keeps must be safe to put in a path. */
		for (i = 0; i < d->n; i++)
			if (strchr(d->res[i].resource, '/') || strchr(d->res[i].resource, '?') ||
			    strchr(d->res[i].group, '/'))
				abort();
		kube_discovery_free(d);
		break;
	case 3:
		if (!kube_discovery_parse_groups(&gvs, &n, buf, size)) {
			for (i = 0; i < n; i++)
				free(gvs[i]);
			free(gvs);
		}
		break;
	case 4:
		if (!kube_parse_list(&s, &items, &sb, buf, size, "fuzz"))
			doc_stream_free(s);
		break;
	case 5:
		if (!kube_parse_object(&s, buf, size, "fuzz")) {
			health_check(s->docs[0], &sb);
			doc_stream_free(s);
		}
		break;
	case 6:
		inventory_decode(&inv, buf, size);
		inventory_release(&inv);
		break;
	case 7:
		if (!kube_conf_parse(&kc, buf, size, "fuzz", NULL, NULL))
			kube_conf_free(kc);
		break;
	case 8: {
		/*
		 * The peek against the parser as oracle: what the peek passes
		 * parses, with the same top-level status and resourceVersion.
		 */
		char rv[64];
		bool has_status;

		if (kube_reply_peek(buf, size, &has_status, rv, sizeof(rv)))
			break;
		if (!kube_parse_object(&s, buf, size, "fuzz")) {
			const char *prv = doc_get_str(s->docs[0], "metadata", "resourceVersion", NULL);
			if (has_status != (doc_map_get(s->docs[0], "status") != NULL) ||
			    strcmp(rv, prv ? prv : ""))
				abort();
			doc_stream_free(s);
		}
		break;
	}
	}
	strbuf_release(&sb);
	err_clear();
	return 0;
}
