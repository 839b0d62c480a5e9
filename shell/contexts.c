/*
 * contexts.c - the context tree: root, ipsec, ipsec static and ipsec
 * dynamic.  "static" and "dynamic" are also reachable from root.
 */
#include "cmd.h"

static const struct context *const root_children[] = {&ctx_ipsec,
						       &ctx_service, NULL};
static const struct context *const root_shortcuts[] = {&ctx_static,
						       &ctx_dynamic, NULL};
static const struct context *const ipsec_children[] = {&ctx_dynamic,
						       &ctx_static, NULL};

const struct context ctx_root = {
	.name = "",
	.path = "",
	.help = "",
	.parent = NULL,
	.commands = NULL,
	.children = root_children,
	.shortcuts = root_shortcuts,
};

const struct context ctx_ipsec = {
	.name = "ipsec",
	.path = "ipsec",
	.help = "Changes to the `ipsecsh ipsec' context.",
	.parent = &ctx_root,
	.commands = NULL,
	.children = ipsec_children,
};

const struct context ctx_static = {
	.name = "static",
	.path = "ipsec static",
	.help = "Changes to the `ipsecsh ipsec static' context.",
	.parent = &ctx_ipsec,
	.commands = static_commands,
};

const struct context ctx_service = {
	.name = "service",
	.path = "service",
	.help = "Changes to the `ipsecsh service' context.",
	.parent = &ctx_root,
	.commands = service_commands,
};

const struct context ctx_dynamic = {
	.name = "dynamic",
	.path = "ipsec dynamic",
	.help = "Changes to the `ipsecsh ipsec dynamic' context.",
	.parent = &ctx_ipsec,
	.commands = dynamic_commands,
};
