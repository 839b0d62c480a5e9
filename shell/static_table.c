/*
 * static_table.c - every command of the "ipsec static" context, with
 * every parameter, its type, default and range (spec/netsh-reference.md
 * §2, as decided by spec/ipsecsh.md).  Dispatch, usage blocks,
 * completion and docs/commands.md are all generated from this table.
 */
#include "cmd.h"
#include "params.h"
#include "static.h"
#include "vocab.h"

static const char *const location_choices[] = {"local", "persistent",
					       "domain", NULL};
static const char *const mode_choices[] = {"enable", "disable", NULL};

/* Parameters several commands share. */
#define P_DESCRIPTION(what)                                                 \
	{.tag = "description", .type = PT_STRING, .flags = P_POS,           \
	 .help = "Brief information about the " what "."}
#define P_NEWNAME(what)                                                     \
	{.tag = "newname", .type = PT_NAME, .flags = P_POS,                 \
	 .help = "New name of the " what "."}
/* ---- policy ------------------------------------------------------- */

#define POLICY_SETTINGS(DEF_MMPFS, DEF_QMPERMM, DEF_MMLIFE, DEF_ACT,      \
			DEF_POLL, DEF_ASSIGN)                               \
	{.tag = "mmpfs", .type = PT_BOOL, .flags = P_POS, .def = DEF_MMPFS, \
	 .help = "Master key perfect forward secrecy (one quick mode per "   \
		 "main mode)."},                                             \
	{.tag = "qmpermm", .type = PT_INT, .flags = P_POS, .min = 0,        \
	 .max = 2147483647, .def = DEF_QMPERMM,                              \
	 .help = "Quick mode sessions per main mode session; 0 is "          \
		 "unlimited."},                                              \
	{.tag = "mmlifetime", .type = PT_INT, .flags = P_POS, .min = 5,     \
	 .max = 2880, .def = DEF_MMLIFE,                                     \
	 .help = "Main mode lifetime in minutes."},                         \
	{.tag = "activatedefaultrule", .type = PT_BOOL, .flags = P_POS,     \
	 .def = DEF_ACT, .help = "Activates the default response rule."},   \
	{.tag = "pollinginterval", .type = PT_INT, .flags = P_POS,          \
	 .min = 5, .max = 43200, .def = DEF_POLL,                            \
	 .help = "Minutes between checks of the store for changes."},       \
	{.tag = "assign", .type = PT_BOOL, .flags = P_POS,                  \
	 .def = DEF_ASSIGN,                                                  \
	 .help = "Assigns the policy (unassigning any other)."}

static const struct param add_policy_params[] = {
	{.tag = "name", .type = PT_NAME, .flags = P_REQ | P_POS,
	 .obj = OBJ_POLICY, .help = "Name of the policy."},
	P_DESCRIPTION("policy"),
	POLICY_SETTINGS("no", "0", "480", "yes", "180", "no"),
	{.tag = "mmsecmethods", .type = PT_MMSEC, .flags = P_POS,
	 .def = VOCAB_MMSEC_DEFAULT,
	 .help = "Main mode security methods, ENC-HASH-GROUP, in order of "
		 "preference."},
	{0},
};

static const struct param set_policy_params[] = {
	{.tag = "name", .type = PT_NAME, .flags = P_REQ | P_POS, .alt = 1,
	 .obj = OBJ_POLICY, .help = "Name of the policy."},
	{.tag = "guid", .type = PT_GUID, .flags = P_REQ, .alt = 1,
	 .help = "GUID of the policy."},
	P_NEWNAME("policy"),
	P_DESCRIPTION("policy"),
	POLICY_SETTINGS(NULL, NULL, NULL, NULL, NULL, NULL),
	{.tag = "gponame", .type = PT_STRING, .flags = P_POS,
	 .help = "Group policy object to assign to (domain store only)."},
	{.tag = "mmsecmethods", .type = PT_MMSEC, .flags = P_POS,
	 .help = "Main mode security methods, ENC-HASH-GROUP, in order of "
		 "preference."},
	{0},
};

static const struct param delete_policy_params[] = {
	{.tag = "name", .type = PT_NAME, .flags = P_REQ | P_POS, .alt = 1,
	 .obj = OBJ_POLICY, .help = "Name of the policy."},
	{.tag = "all", .type = PT_KEYWORD, .flags = P_REQ, .alt = 1,
	 .help = "Every policy of the store."},
	{0},
};

static const struct param show_policy_params[] = {
	{.tag = "name", .type = PT_NAME, .flags = P_REQ | P_POS, .alt = 1,
	 .obj = OBJ_POLICY, .help = "Name of the policy."},
	{.tag = "all", .type = PT_KEYWORD, .flags = P_REQ, .alt = 1,
	 .help = "Every policy of the store."},
	P_LEVEL,
	P_FORMAT,
	P_WIDE,
	{0},
};

/* ---- filter list and filter --------------------------------------- */

static const struct param add_filterlist_params[] = {
	{.tag = "name", .type = PT_NAME, .flags = P_REQ | P_POS,
	 .obj = OBJ_FILTERLIST, .help = "Name of the filter list."},
	P_DESCRIPTION("filter list"),
	{0},
};

static const struct param set_filterlist_params[] = {
	{.tag = "name", .type = PT_NAME, .flags = P_REQ | P_POS, .alt = 1,
	 .obj = OBJ_FILTERLIST, .help = "Name of the filter list."},
	{.tag = "guid", .type = PT_GUID, .flags = P_REQ, .alt = 1,
	 .help = "GUID of the filter list."},
	P_NEWNAME("filter list"),
	P_DESCRIPTION("filter list"),
	{0},
};

static const struct param delete_filterlist_params[] = {
	{.tag = "name", .type = PT_NAME, .flags = P_REQ | P_POS, .alt = 1,
	 .obj = OBJ_FILTERLIST, .help = "Name of the filter list."},
	{.tag = "all", .type = PT_KEYWORD, .flags = P_REQ, .alt = 1,
	 .help = "Every filter list of the store."},
	{0},
};

static const struct param show_filterlist_params[] = {
	{.tag = "name", .type = PT_NAME, .flags = P_REQ | P_POS, .alt = 1,
	 .obj = OBJ_FILTERLIST, .help = "Name of the filter list."},
	{.tag = "rule", .type = PT_NAME, .flags = P_REQ, .alt = 1,
	 .obj = OBJ_RULE, .help = "Shows the filter list used by this rule."},
	{.tag = "all", .type = PT_KEYWORD, .flags = P_REQ, .alt = 1,
	 .help = "Every filter list of the store."},
	P_LEVEL,
	P_FORMAT,
	P_RESOLVEDNS,
	P_WIDE,
	{0},
};

#define FILTER_ADDRS                                                        \
	{.tag = "srcaddr", .type = PT_ADDR, .flags = P_REQ | P_POS,         \
	 .help = "Source address, range, DNS name, me, any or server type "  \
		 "(DNS, WINS, DHCP, GATEWAY)."},                             \
	{.tag = "dstaddr", .type = PT_ADDR, .flags = P_REQ | P_POS,         \
	 .help = "Destination address, range, DNS name, me, any or server "  \
		 "type."}

static const struct param add_filter_params[] = {
	{.tag = "filterlist", .type = PT_NAME, .flags = P_REQ | P_POS,
	 .obj = OBJ_FILTERLIST,
	 .help = "Filter list to add to; created if it does not exist."},
	FILTER_ADDRS,
	P_DESCRIPTION("filter"),
	{.tag = "protocol", .type = PT_PROTOCOL, .flags = P_POS,
	 .def = "ANY", .help = "IP protocol."},
	{.tag = "mirrored", .type = PT_BOOL, .flags = P_POS, .def = "yes",
	 .help = "yes also matches the reverse direction."},
	{.tag = "srcmask", .type = PT_MASK, .flags = P_POS,
	 .help = "Source mask or prefix length. Default 255.255.255.255 "
		 "(/128 for IPv6, 0.0.0.0 for any)."},
	{.tag = "dstmask", .type = PT_MASK, .flags = P_POS,
	 .help = "Destination mask or prefix length, defaults as srcmask."},
	{.tag = "srcport", .type = PT_PORT, .flags = P_POS, .def = "0",
	 .help = "Source port, TCP or UDP only; 0 is any."},
	{.tag = "dstport", .type = PT_PORT, .flags = P_POS, .def = "0",
	 .help = "Destination port, TCP or UDP only; 0 is any."},
	{0},
};

static const struct param delete_filter_params[] = {
	{.tag = "filterlist", .type = PT_NAME, .flags = P_REQ | P_POS,
	 .obj = OBJ_FILTERLIST, .help = "Filter list to delete from."},
	FILTER_ADDRS,
	{.tag = "protocol", .type = PT_PROTOCOL, .flags = P_POS,
	 .help = "IP protocol."},
	{.tag = "mirrored", .type = PT_BOOL, .flags = P_POS,
	 .help = "Mirrored or not."},
	{.tag = "srcmask", .type = PT_MASK, .flags = P_POS,
	 .help = "Source mask or prefix length."},
	{.tag = "dstmask", .type = PT_MASK, .flags = P_POS,
	 .help = "Destination mask or prefix length."},
	{.tag = "srcport", .type = PT_PORT, .flags = P_POS,
	 .help = "Source port."},
	{.tag = "dstport", .type = PT_PORT, .flags = P_POS,
	 .help = "Destination port."},
	{0},
};

/* ---- filter action ------------------------------------------------ */

#define FILTERACTION_SETTINGS(DEF_PFS, DEF_INPASS, DEF_SOFT, DEF_ACTION,    \
			      DEF_QMSEC)                                    \
	{.tag = "qmpfs", .type = PT_BOOL, .flags = P_POS, .def = DEF_PFS,   \
	 .help = "Quick mode (session key) perfect forward secrecy."},      \
	{.tag = "inpass", .type = PT_BOOL, .flags = P_POS,                  \
	 .def = DEF_INPASS,                                                  \
	 .help = "Accepts unsecured inbound traffic, always answers "        \
		 "secured."},                                                \
	{.tag = "soft", .type = PT_BOOL, .flags = P_POS, .def = DEF_SOFT,   \
	 .help = "Falls back to clear text with computers that have no "     \
		 "IPsec."},                                                  \
	{.tag = "action", .type = PT_ENUM, .flags = P_POS,                  \
	 .choices = action_choices, .def = DEF_ACTION,                       \
	 .help = "What matching traffic gets."},                            \
	{.tag = "qmsecmethods", .type = PT_QMSEC, .flags = P_POS,           \
	 .def = DEF_QMSEC,                                                   \
	 .help = "Quick mode security methods in order of preference."}

static const struct param add_filteraction_params[] = {
	{.tag = "name", .type = PT_NAME, .flags = P_REQ | P_POS,
	 .obj = OBJ_FILTERACTION, .help = "Name of the filter action."},
	P_DESCRIPTION("filter action"),
	FILTERACTION_SETTINGS("no", "no", "no", "negotiate",
			      VOCAB_QMSEC_DEFAULT),
	{0},
};

static const struct param set_filteraction_params[] = {
	{.tag = "name", .type = PT_NAME, .flags = P_REQ | P_POS, .alt = 1,
	 .obj = OBJ_FILTERACTION, .help = "Name of the filter action."},
	{.tag = "guid", .type = PT_GUID, .flags = P_REQ, .alt = 1,
	 .help = "GUID of the filter action."},
	P_NEWNAME("filter action"),
	P_DESCRIPTION("filter action"),
	FILTERACTION_SETTINGS(NULL, NULL, NULL, NULL, NULL),
	{0},
};

static const struct param delete_filteraction_params[] = {
	{.tag = "name", .type = PT_NAME, .flags = P_REQ | P_POS, .alt = 1,
	 .obj = OBJ_FILTERACTION, .help = "Name of the filter action."},
	{.tag = "all", .type = PT_KEYWORD, .flags = P_REQ, .alt = 1,
	 .help = "Every filter action of the store."},
	{0},
};

static const struct param show_filteraction_params[] = {
	{.tag = "name", .type = PT_NAME, .flags = P_REQ | P_POS, .alt = 1,
	 .obj = OBJ_FILTERACTION, .help = "Name of the filter action."},
	{.tag = "rule", .type = PT_NAME, .flags = P_REQ, .alt = 1,
	 .obj = OBJ_RULE,
	 .help = "Shows the filter action used by this rule."},
	{.tag = "all", .type = PT_KEYWORD, .flags = P_REQ, .alt = 1,
	 .help = "Every filter action of the store."},
	P_LEVEL,
	P_FORMAT,
	P_WIDE,
	{0},
};

/* ---- rules -------------------------------------------------------- */

#define RULE_TUNNEL                                                         \
	{.tag = "tunnel", .type = PT_STRING, .flags = P_POS,                \
	 .help = "Tunnel end point (IP address or DNS name); none for "      \
		 "transport mode."}
#define RULE_CONNTYPE(DEF)                                                  \
	{.tag = "conntype", .type = PT_ENUM, .flags = P_POS,                \
	 .choices = conntype_choices, .def = DEF,                            \
	 .help = "Interfaces the rule applies to."}
#define RULE_ACTIVATE(DEF)                                                  \
	{.tag = "activate", .type = PT_BOOL, .flags = P_POS, .def = DEF,    \
	 .help = "Activates the rule in its policy."}

static const struct param add_rule_params[] = {
	{.tag = "name", .type = PT_NAME, .flags = P_REQ | P_POS,
	 .obj = OBJ_RULE, .help = "Name of the rule."},
	{.tag = "policy", .type = PT_NAME, .flags = P_REQ | P_POS,
	 .obj = OBJ_POLICY, .help = "Policy the rule belongs to."},
	{.tag = "filterlist", .type = PT_NAME, .flags = P_REQ | P_POS,
	 .obj = OBJ_FILTERLIST, .help = "Filter list of the rule."},
	{.tag = "filteraction", .type = PT_NAME, .flags = P_REQ | P_POS,
	 .obj = OBJ_FILTERACTION, .help = "Filter action of the rule."},
	RULE_TUNNEL,
	RULE_CONNTYPE("all"),
	RULE_ACTIVATE("yes"),
	P_DESCRIPTION("rule"),
	P_AUTH,
	{0},
};

static const struct param set_rule_params[] = {
	{.tag = "name", .type = PT_NAME, .flags = P_REQ | P_POS, .alt = 1,
	 .obj = OBJ_RULE, .help = "Name of the rule."},
	{.tag = "id", .type = PT_INT, .flags = P_REQ, .alt = 1, .min = 1,
	 .max = 2147483647, .help = "Id of the rule."},
	{.tag = "policy", .type = PT_NAME, .flags = P_REQ | P_POS,
	 .obj = OBJ_POLICY, .help = "Policy the rule belongs to."},
	P_NEWNAME("rule"),
	P_DESCRIPTION("rule"),
	{.tag = "filterlist", .type = PT_NAME, .flags = P_POS,
	 .obj = OBJ_FILTERLIST, .help = "Filter list of the rule."},
	{.tag = "filteraction", .type = PT_NAME, .flags = P_POS,
	 .obj = OBJ_FILTERACTION, .help = "Filter action of the rule."},
	RULE_TUNNEL,
	RULE_CONNTYPE(NULL),
	RULE_ACTIVATE(NULL),
	P_AUTH,
	{0},
};

static const struct param set_defaultrule_params[] = {
	{.tag = "policy", .type = PT_NAME, .flags = P_REQ | P_POS,
	 .obj = OBJ_POLICY, .help = "Policy whose default response rule is "
				    "changed."},
	{.tag = "qmpfs", .type = PT_BOOL, .flags = P_POS,
	 .help = "Quick mode (session key) perfect forward secrecy."},
	RULE_ACTIVATE(NULL),
	{.tag = "qmsecmethods", .type = PT_QMSEC, .flags = P_POS,
	 .help = "Quick mode security methods in order of preference."},
	P_AUTH,
	{0},
};

static const struct param delete_rule_params[] = {
	{.tag = "name", .type = PT_NAME, .flags = P_REQ | P_POS, .alt = 1,
	 .obj = OBJ_RULE, .help = "Name of the rule."},
	{.tag = "id", .type = PT_INT, .flags = P_REQ, .alt = 1, .min = 0,
	 .max = 2147483647, .help = "Id of the rule."},
	{.tag = "all", .type = PT_KEYWORD, .flags = P_REQ, .alt = 1,
	 .help = "Every rule of the policy but the default response rule."},
	{.tag = "policy", .type = PT_NAME, .flags = P_REQ | P_POS,
	 .obj = OBJ_POLICY, .help = "Policy the rule belongs to."},
	{0},
};

static const struct param show_rule_params[] = {
	{.tag = "name", .type = PT_NAME, .flags = P_REQ | P_POS, .alt = 1,
	 .obj = OBJ_RULE, .help = "Name of the rule."},
	{.tag = "id", .type = PT_INT, .flags = P_REQ, .alt = 1, .min = 0,
	 .max = 2147483647, .help = "Id of the rule (0 is the default "
				    "response rule)."},
	{.tag = "all", .type = PT_KEYWORD, .flags = P_REQ, .alt = 1,
	 .help = "Every rule of the policy."},
	{.tag = "default", .type = PT_KEYWORD, .flags = P_REQ, .alt = 1,
	 .help = "The default response rule."},
	{.tag = "policy", .type = PT_NAME, .flags = P_REQ | P_POS,
	 .obj = OBJ_POLICY, .help = "Policy the rule belongs to."},
	{.tag = "type", .type = PT_ENUM, .flags = P_POS,
	 .choices = ruletype_choices,
	 .help = "Only tunnel rules or only transport rules."},
	P_LEVEL,
	P_FORMAT,
	P_WIDE,
	{0},
};

/* ---- store-wide --------------------------------------------------- */

static const struct param show_all_params[] = {
	P_FORMAT,
	P_WIDE,
	{0},
};

static const struct param set_store_params[] = {
	{.tag = "location", .type = PT_ENUM, .flags = P_REQ | P_POS,
	 .choices = location_choices,
	 .help = "local: the policies of this computer; persistent: applied "
		 "at service start, before local; domain: a directory "
		 "store."},
	{.tag = "domain", .type = PT_STRING, .flags = P_POS,
	 .help = "Domain of a domain store."},
	{0},
};

static const struct param set_batch_params[] = {
	{.tag = "mode", .type = PT_ENUM, .flags = P_REQ | P_POS,
	 .choices = mode_choices,
	 .help = "enable holds changes in one transaction until disable or "
		 "the end of the session."},
	{0},
};

static const struct param file_params[] = {
	{.tag = "file", .type = PT_FILE, .flags = P_REQ | P_POS,
	 .help = "Policy file."},
	{0},
};

static const struct param show_gpo_params[] = {
	{.tag = "name", .type = PT_STRING, .flags = P_POS,
	 .help = "Name of the group policy object."},
	{0},
};

const struct command static_commands[] = {
	{.name = "add filter", .help = "Adds a filter to a filter list.",
	 .fn = static_add_filter, .params = add_filter_params,
	 .flags = CMD_WRITES,
	 .remarks = "The filter list is created if it does not exist.\n"
		    "me is every local address, any is every address.\n"
		    "A server type (DNS, WINS, DHCP, GATEWAY) as source makes "
		    "the destination me, and the other way round.\n"
		    "Range end points are single addresses of one IP "
		    "version; ranges take no mask.\n"
		    "Ports need protocol=TCP or protocol=UDP.",
	 .example = "add filter filterlist=Web srcaddr=any dstaddr=me "
		    "protocol=TCP dstport=80"},
	{.name = "add filteraction", .help = "Creates a filter action.",
	 .fn = static_add_filteraction, .params = add_filteraction_params,
	 .flags = CMD_WRITES,
	 .remarks = "Quick mode security methods apply only when the "
		    "action is negotiate.\n"
		    "DES and MD5 are accepted for old peers only, with a "
		    "warning.",
	 .example = "add filteraction name=Secure action=negotiate "
		    "qmsec=\"ESP[AES128GCM]:100000k/3600s "
		    "ESP[AES256,SHA256]\""},
	{.name = "add filterlist", .help = "Creates an empty filter list.",
	 .fn = static_add_filterlist, .params = add_filterlist_params,
	 .flags = CMD_WRITES,
	 .example = "add filterlist name=Web description=\"HTTP traffic\""},
	{.name = "add policy",
	 .help = "Creates a policy with a default response rule.",
	 .fn = static_add_policy, .params = add_policy_params,
	 .flags = CMD_WRITES,
	 .remarks = "mmpfs=yes sets qmpermm to 1.\n"
		    "Groups 1, 2 and 3 keep their netsh meaning (MODP 768, "
		    "1024, 2048); 14-16, 19-21 and 31 are IANA groups.",
	 .example = "add policy Policy1 mmpfs=yes assign=yes "
		    "mmsec=\"AES256-SHA256-14 AES128-SHA1-3\""},
	{.name = "add rule", .help = "Creates a rule in a policy.",
	 .fn = static_add_rule, .params = add_rule_params,
	 .flags = CMD_WRITES,
	 .remarks = "The filter list and filter action must exist.\n"
		    "A rule whose filter action negotiates needs psk= or "
		    "rootca=.\n" AUTH_REMARKS,
	 .example = "add rule name=Secure policy=RedBlue filterlist=RedBlue "
		    "filteraction=Secure psk=\"a long shared secret\""},
	{.name = "delete all",
	 .help = "Deletes all policies, filter lists and filter actions.",
	 .fn = static_delete_all, .flags = CMD_WRITES,
	 .remarks = "Only the current store location (see set store) is "
		    "emptied."},
	{.name = "delete filter", .help = "Deletes filters from a filter list.",
	 .fn = static_delete_filter, .params = delete_filter_params,
	 .flags = CMD_WRITES,
	 .remarks = "Filters have no names: every filter that matches all "
		    "the given fields is deleted.",
	 .example = "delete filter Web any me protocol=TCP dstport=80"},
	{.name = "delete filteraction", .help = "Deletes a filter action.",
	 .fn = static_delete_filteraction,
	 .params = delete_filteraction_params, .flags = CMD_WRITES,
	 .remarks = "A filter action used by a rule cannot be deleted.",
	 .example = "delete filteraction Secure"},
	{.name = "delete filterlist", .help = "Deletes a filter list.",
	 .fn = static_delete_filterlist, .params = delete_filterlist_params,
	 .flags = CMD_WRITES,
	 .remarks = "A filter list used by a rule cannot be deleted.",
	 .example = "delete filterlist Web"},
	{.name = "delete policy",
	 .help = "Deletes a policy and its rules.",
	 .fn = static_delete_policy, .params = delete_policy_params,
	 .flags = CMD_WRITES, .example = "delete policy all"},
	{.name = "delete rule", .help = "Deletes a rule from a policy.",
	 .fn = static_delete_rule, .params = delete_rule_params,
	 .flags = CMD_WRITES,
	 .remarks = "The default response rule cannot be deleted; "
		    "deactivate it with set defaultrule activate=no.",
	 .example = "delete rule name=Secure policy=RedBlue"},
	{.name = "exportpolicy",
	 .help = "Exports all policies of the store to a file.",
	 .fn = static_exportpolicy, .params = file_params, .flags = CMD_STORE,
	 .remarks = "The file holds pre-shared keys; it is written "
		    "atomically with mode 0600.",
	 .example = "exportpolicy file=/root/policies.ipsec"},
	{.name = "importpolicy",
	 .help = "Imports policies from a file into the store.",
	 .fn = static_importpolicy, .params = file_params,
	 .flags = CMD_WRITES,
	 .remarks = "All or nothing: if any object cannot be added (a name "
		    "already used, a damaged file), nothing changes.",
	 .example = "importpolicy file=/root/policies.ipsec"},
	{.name = "set batch", .help = "Sets the batch update mode.",
	 .fn = static_set_batch, .params = set_batch_params,
	 .flags = CMD_STORE,
	 .remarks = "A failed command inside a batch leaves the batch's "
		    "earlier changes pending.",
	 .example = "set batch mode=enable"},
	{.name = "set defaultrule",
	 .help = "Modifies the default response rule of a policy.",
	 .fn = static_set_defaultrule, .params = set_defaultrule_params,
	 .flags = CMD_WRITES,
	 .remarks = "The default response rule always negotiates.\n"
		    AUTH_REMARKS,
	 .example = "set defaultrule policy=RedBlue activate=no"},
	{.name = "set filteraction", .help = "Modifies a filter action.",
	 .fn = static_set_filteraction, .params = set_filteraction_params,
	 .flags = CMD_WRITES,
	 .remarks = "qmsecmethods replaces the whole list.",
	 .example = "set filteraction name=Secure qmsec=ESP[AES256GCM]"},
	{.name = "set filterlist", .help = "Modifies a filter list.",
	 .fn = static_set_filterlist, .params = set_filterlist_params,
	 .flags = CMD_WRITES,
	 .example = "set filterlist name=Web newname=HTTP"},
	{.name = "set policy", .help = "Modifies a policy.",
	 .fn = static_set_policy, .params = set_policy_params,
	 .flags = CMD_WRITES,
	 .remarks = "Parameters not given keep their value.\n"
		    "gponame applies to a domain store only.",
	 .example = "set policy RedBlue assign=yes"},
	{.name = "set rule", .help = "Modifies a rule of a policy.",
	 .fn = static_set_rule, .params = set_rule_params,
	 .flags = CMD_WRITES, .remarks = AUTH_REMARKS,
	 .example = "set rule name=Secure policy=RedBlue activate=no"},
	{.name = "set store", .help = "Sets the current policy store.",
	 .fn = static_set_store, .params = set_store_params,
	 .remarks = "The choice lasts for this session.",
	 .example = "set store location=persistent"},
	{.name = "show all",
	 .help = "Displays all policies, filter lists and filter actions.",
	 .fn = static_show_all, .params = show_all_params,
	 .flags = CMD_STORE, .example = "show all format=table"},
	{.name = "show filteraction", .help = "Displays filter actions.",
	 .fn = static_show_filteraction, .params = show_filteraction_params,
	 .flags = CMD_STORE, .example = "show filteraction all"},
	{.name = "show filterlist", .help = "Displays filter lists.",
	 .fn = static_show_filterlist, .params = show_filterlist_params,
	 .flags = CMD_STORE, .example = "show filterlist Web level=verbose"},
	{.name = "show gpoassignedpolicy",
	 .help = "Displays the policy assigned to a group policy object.",
	 .fn = static_show_gpoassignedpolicy, .params = show_gpo_params,
	 .remarks = "Applies to a domain store only."},
	{.name = "show policy", .help = "Displays policies.",
	 .fn = static_show_policy, .params = show_policy_params,
	 .flags = CMD_STORE, .example = "show policy all level=verbose"},
	{.name = "show rule", .help = "Displays rules of a policy.",
	 .fn = static_show_rule, .params = show_rule_params,
	 .flags = CMD_STORE, .example = "show rule all policy=RedBlue"},
	{.name = "show store", .help = "Displays the current policy store.",
	 .fn = static_show_store},
	{0},
};
