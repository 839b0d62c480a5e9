/*
 * dynamic_config.c - set config / show config: the service's
 * configuration properties (engine/config.h keeps their ranges and
 * defaults; the service saves them).
 */
#include "agent.h"
#include "config.h"
#include "dynamic.h"
#include "dynamic_common.h"
#include "service.h"
#include "shell.h"
#include "static_common.h"

enum cmd_status
dynamic_set_config(struct shell *sh, const struct args *a)
{
	char err[256];

	if (service_config_set(sh->service, arg_text(a, "property"),
			       arg_text(a, "value"), err, sizeof(err)) < 0)
		return dynamic_error(sh, err);
	return CMD_OK;
}

enum cmd_status
dynamic_show_config(struct shell *sh, const struct args *a)
{
	struct config_item items[CONFIG_NPROPS];
	struct out *o = static_out_new(a);

	config_list(service_config(sh->service), items);
	out_section(o, "config", "Configuration");
	out_object(o);
	for (size_t i = 0; i < CONFIG_NPROPS; i++)
		out_str(o, items[i].name, items[i].label, items[i].value);
	out_object_end(o);
	out_section_end(o);
	return static_render(sh, a, o);
}

/* Nobody's privilege is needed: it only makes the service read the
 * store (root's file) again, and only acts if the store changed. */
enum cmd_status
dynamic_reload(struct shell *sh, const struct args *a)
{
	char err[512];

	(void)a;
	if (sh->agent == NULL)
		return CMD_OK;
	if (agent_sync(sh->agent, false, err, sizeof(err)) < 0) {
		shell_err(sh, "ERR: the assigned policy was not applied (the "
			      "previous one stays): %s",
			  err);
		return CMD_ERROR;
	}
	return CMD_OK;
}
