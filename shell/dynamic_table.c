/*
 * dynamic_table.c - every command of the "ipsec dynamic" context
 * (spec/netsh-reference.md §3), plus manual keying ("add sa", "delete
 * sa").  These commands run inside the service, against its live state:
 * the shell forwards them over the control socket, and the service
 * dispatches them with this same table (CMD_SERVICE).  CMD_CHANGES marks
 * the ones only root or the admin group may run.
 */
#include "cmd.h"
#include "params.h"
#include "dynamic.h"
#include "vocab.h"

static const char *const filtertype_choices[] = {"generic", "specific",
						 NULL};
static const char *const statstype_choices[] = {"all", "ike", "ipsec", NULL};
static const char *const direction_choices[] = {"in", "out", NULL};
static const char *const mode_choices[] = {"transport", "tunnel", NULL};
static const char *const encap_choices[] = {"none", "udp", NULL};


#define P_NAME_OR_ALL(what)                                                 \
	{.tag = "name", .type = PT_NAME, .flags = P_REQ | P_POS, .alt = 1,  \
	 .help = "Name of the " what "."},                                  \
	{.tag = "all", .type = PT_KEYWORD, .flags = P_REQ, .alt = 1,        \
	 .help = "Every " what "."}

/* ---- main mode policies ------------------------------------------- */

#define MMPOLICY_SETTINGS(DEF_QMPERMM, DEF_MMLIFE, DEF_MMSEC)                \
	{.tag = "qmpermm", .type = PT_INT, .flags = P_POS, .min = 0,        \
	 .max = 2147483647, .def = DEF_QMPERMM,                              \
	 .help = "Quick mode sessions per main mode session; 0 is "          \
		 "unlimited."},                                              \
	{.tag = "mmlifetime", .type = PT_INT, .flags = P_POS, .min = 5,     \
	 .max = 2880, .def = DEF_MMLIFE,                                     \
	 .help = "Main mode lifetime in minutes."},                         \
	{.tag = "softsaexpirationtime", .type = PT_INT, .flags = P_POS,     \
	 .min = 1, .max = 172800,                                            \
	 .help = "Seconds a soft (clear text) association lives."},         \
	{.tag = "mmsecmethods", .type = PT_MMSEC, .flags = P_POS,           \
	 .def = DEF_MMSEC,                                                   \
	 .help = "Main mode security methods, ENC-HASH-GROUP, in order of "   \
		 "preference."}

static const struct param add_mmpolicy_params[] = {
	{.tag = "name", .type = PT_NAME, .flags = P_REQ | P_POS,
	 .help = "Name of the main mode policy."},
	MMPOLICY_SETTINGS("0", "480", VOCAB_MMSEC_DEFAULT),
	{0},
};

static const struct param set_mmpolicy_params[] = {
	P_NAME_OR_ALL("main mode policy"),
	MMPOLICY_SETTINGS(NULL, NULL, NULL),
	{0},
};

static const struct param name_or_all_mm[] = {
	P_NAME_OR_ALL("main mode policy"),
	{0},
};

static const struct param show_mmpolicy_params[] = {
	P_NAME_OR_ALL("main mode policy"),
	P_FORMAT,
	P_WIDE,
	{0},
};

/* ---- quick mode policies ------------------------------------------ */

#define QMPOLICY_SETTINGS(DEF_SOFT, DEF_PFS, DEF_QMSEC)                     \
	{.tag = "soft", .type = PT_BOOL, .flags = P_POS, .def = DEF_SOFT,   \
	 .help = "Falls back to clear text with computers that have no "     \
		 "IPsec."},                                                  \
	{.tag = "pfsgroup", .type = PT_PFSGROUP, .flags = P_POS,            \
	 .def = DEF_PFS,                                                     \
	 .help = "Diffie-Hellman group of quick mode PFS; GRPMM follows "     \
		 "main mode."},                                              \
	{.tag = "qmsecmethods", .type = PT_QMSEC, .flags = P_POS,           \
	 .def = DEF_QMSEC,                                                   \
	 .help = "Quick mode security methods in order of preference."}

static const struct param add_qmpolicy_params[] = {
	{.tag = "name", .type = PT_NAME, .flags = P_REQ | P_POS,
	 .help = "Name of the quick mode policy."},
	QMPOLICY_SETTINGS("no", "NOPFS", VOCAB_QMSEC_DEFAULT),
	{0},
};

static const struct param set_qmpolicy_params[] = {
	P_NAME_OR_ALL("quick mode policy"),
	QMPOLICY_SETTINGS(NULL, NULL, NULL),
	{0},
};

static const struct param name_or_all_qm[] = {
	P_NAME_OR_ALL("quick mode policy"),
	{0},
};

static const struct param show_qmpolicy_params[] = {
	P_NAME_OR_ALL("quick mode policy"),
	P_FORMAT,
	P_WIDE,
	{0},
};

/* ---- rules -------------------------------------------------------- */

/* The filter values identify a rule: set rule and delete rule find the
 * rule by them, omitted ones taking add rule's defaults. */
#define R_SRCADDR(POS)                                                      \
	{.tag = "srcaddr", .type = PT_ADDR, .flags = P_REQ | POS,           \
	 .help = "Source address, range, DNS name, me, any or server "       \
		 "type."}
#define R_DSTADDR(POS)                                                      \
	{.tag = "dstaddr", .type = PT_ADDR, .flags = P_REQ | POS,           \
	 .help = "Destination address, range, DNS name, me, any or server "  \
		 "type."}
#define R_FILTER(POS)                                                       \
	{.tag = "protocol", .type = PT_PROTOCOL, .flags = POS, .def = "ANY",\
	 .help = "IP protocol."},                                           \
	{.tag = "srcport", .type = PT_PORT, .flags = POS, .def = "0",       \
	 .help = "Source port, TCP or UDP only; 0 is any."},                \
	{.tag = "dstport", .type = PT_PORT, .flags = POS, .def = "0",       \
	 .help = "Destination port, TCP or UDP only; 0 is any."},           \
	{.tag = "mirrored", .type = PT_BOOL, .flags = POS, .def = "yes",    \
	 .help = "yes also matches the reverse direction."},                \
	{.tag = "conntype", .type = PT_ENUM, .flags = POS,                  \
	 .choices = conntype_choices, .def = "all",                          \
	 .help = "Interfaces the rule applies to."}
#define R_MASKS(POS)                                                        \
	{.tag = "srcmask", .type = PT_MASK, .flags = POS,                   \
	 .help = "Source mask or prefix length."},                          \
	{.tag = "dstmask", .type = PT_MASK, .flags = POS,                   \
	 .help = "Destination mask or prefix length."},                     \
	{.tag = "tunneldstaddress", .type = PT_STRING, .flags = POS,        \
	 .help = "Tunnel end point (IP address or DNS name); none for "      \
		 "transport mode."}
#define R_POLICIES(MMFLAGS)                                                 \
	{.tag = "mmpolicy", .type = PT_NAME, .flags = MMFLAGS,              \
	 .help = "Main mode policy of the rule."},                          \
	{.tag = "qmpolicy", .type = PT_NAME, .flags = P_POS,                \
	 .help = "Quick mode policy; needed when an action is negotiate."}
#define R_ACTIONS(DEF_ACTION)                                               \
	{.tag = "actioninbound", .type = PT_ENUM, .flags = P_POS,           \
	 .choices = action_choices, .def = DEF_ACTION,                       \
	 .help = "What inbound traffic of the rule gets."},                 \
	{.tag = "actionoutbound", .type = PT_ENUM, .flags = P_POS,          \
	 .choices = action_choices, .def = DEF_ACTION,                       \
	 .help = "What outbound traffic of the rule gets."}
/* In netsh's order (reference §3.5): positional values bind so. */
static const struct param add_rule_params[] = {
	R_SRCADDR(P_POS),
	R_DSTADDR(P_POS),
	R_POLICIES(P_REQ | P_POS),
	R_FILTER(P_POS),
	R_ACTIONS("negotiate"),
	R_MASKS(P_POS),
	P_AUTH,
	{0},
};

static const struct param set_rule_params[] = {
	R_SRCADDR(P_POS),
	R_DSTADDR(P_POS),
	R_FILTER(P_POS),
	R_MASKS(P_POS),
	R_POLICIES(P_POS),
	R_ACTIONS(NULL),
	P_AUTH,
	{0},
};

static const struct param delete_rule_params[] = {
	R_SRCADDR(P_POS),
	R_DSTADDR(P_POS),
	R_FILTER(P_POS),
	R_MASKS(P_POS),
	{0},
};

#define FILTER_NARROW                                                       \
	{.tag = "srcaddr", .type = PT_ADDR,                                 \
	 .help = "Only filters with this source."},                         \
	{.tag = "dstaddr", .type = PT_ADDR,                                 \
	 .help = "Only filters with this destination."},                    \
	{.tag = "srcmask", .type = PT_MASK,                                 \
	 .help = "Only filters with this source mask."},                    \
	{.tag = "dstmask", .type = PT_MASK,                                 \
	 .help = "Only filters with this destination mask."}

static const struct param show_rule_params[] = {
	{.tag = "type", .type = PT_ENUM, .flags = P_POS,
	 .choices = ruletype_choices,
	 .help = "Only tunnel rules or only transport rules."},
	FILTER_NARROW,
	{.tag = "protocol", .type = PT_PROTOCOL,
	 .help = "Only rules of this protocol."},
	{.tag = "srcport", .type = PT_PORT, .help = "Only this source port."},
	{.tag = "dstport", .type = PT_PORT,
	 .help = "Only this destination port."},
	{.tag = "actioninbound", .type = PT_ENUM, .choices = action_choices,
	 .help = "Only rules with this inbound action."},
	{.tag = "actionoutbound", .type = PT_ENUM, .choices = action_choices,
	 .help = "Only rules with this outbound action."},
	P_RESOLVEDNS,
	P_FORMAT,
	P_WIDE,
	{0},
};

static const struct param show_mmfilter_params[] = {
	{.tag = "name", .type = PT_STRING, .flags = P_POS, .alt = 1,
	 .help = "Name of the filter."},
	{.tag = "all", .type = PT_KEYWORD, .alt = 1, .help = "Every filter."},
	{.tag = "type", .type = PT_ENUM, .flags = P_POS,
	 .choices = filtertype_choices, .def = "generic",
	 .help = "generic: as configured; specific: expanded to addresses."},
	FILTER_NARROW,
	P_RESOLVEDNS,
	P_FORMAT,
	P_WIDE,
	{0},
};

static const struct param show_qmfilter_params[] = {
	{.tag = "name", .type = PT_STRING, .flags = P_POS, .alt = 1,
	 .help = "Name of the filter."},
	{.tag = "all", .type = PT_KEYWORD, .alt = 1, .help = "Every filter."},
	{.tag = "type", .type = PT_ENUM, .flags = P_POS,
	 .choices = filtertype_choices, .def = "generic",
	 .help = "generic: as configured; specific: expanded to addresses."},
	FILTER_NARROW,
	{.tag = "protocol", .type = PT_PROTOCOL,
	 .help = "Only filters of this protocol."},
	{.tag = "srcport", .type = PT_PORT, .help = "Only this source port."},
	{.tag = "dstport", .type = PT_PORT,
	 .help = "Only this destination port."},
	{.tag = "actioninbound", .type = PT_ENUM, .choices = action_choices,
	 .help = "Only filters with this inbound action."},
	{.tag = "actionoutbound", .type = PT_ENUM, .choices = action_choices,
	 .help = "Only filters with this outbound action."},
	P_RESOLVEDNS,
	P_FORMAT,
	P_WIDE,
	{0},
};

static const struct param show_all_params[] = {
	P_RESOLVEDNS,
	P_FORMAT,
	P_WIDE,
	{0},
};

static const struct param show_sas_params[] = {
	{.tag = "all", .type = PT_KEYWORD, .help = "Every association."},
	{.tag = "srcaddr", .type = PT_ADDR,
	 .help = "Only associations with this source."},
	{.tag = "dstaddr", .type = PT_ADDR,
	 .help = "Only associations with this destination."},
	{.tag = "protocol", .type = PT_PROTOCOL,
	 .help = "Only associations of this protocol (quick mode)."},
	P_FORMAT,
	P_RESOLVEDNS,
	{0},
};

static const struct param show_stats_params[] = {
	{.tag = "type", .type = PT_ENUM, .flags = P_POS,
	 .choices = statstype_choices, .def = "all",
	 .help = "ike: main mode statistics; ipsec: quick mode (driver) "
		 "statistics."},
	P_FORMAT,
	{0},
};

static const struct param show_config_params[] = {
	P_FORMAT,
	{0},
};

static const struct param set_config_params[] = {
	{.tag = "property", .type = PT_STRING, .flags = P_REQ | P_POS,
	 .help = "ipsecdiagnostics, ikelogging, strongcrlcheck, "
		 "ipsecloginterval, ipsecexempt, bootmode or "
		 "bootexemptions."},
	{.tag = "value", .type = PT_STRING, .flags = P_REQ | P_POS,
	 .help = "The new value (see remarks for each property's range)."},
	{0},
};

/* ---- manual keying ------------------------------------------------ */

static const struct param add_sa_params[] = {
	{.tag = "spi", .type = PT_STRING, .flags = P_REQ,
	 .help = "Security parameter index: 0x hex or decimal, not 0."},
	{.tag = "srcaddr", .type = PT_ADDR, .flags = P_REQ,
	 .help = "Source of the protected traffic (an IP address)."},
	{.tag = "dstaddr", .type = PT_ADDR, .flags = P_REQ,
	 .help = "Destination of the protected traffic (an IP address)."},
	{.tag = "direction", .type = PT_ENUM, .flags = P_REQ,
	 .choices = direction_choices,
	 .help = "in: decrypts what arrives; out: encrypts what leaves."},
	{.tag = "mode", .type = PT_ENUM, .flags = P_REQ,
	 .choices = mode_choices, .help = "Transport or tunnel mode."},
	{.tag = "tunnelsrc", .type = PT_ADDR,
	 .help = "Tunnel mode: outer source address."},
	{.tag = "tunneldst", .type = PT_ADDR,
	 .help = "Tunnel mode: outer destination address."},
	{.tag = "secmethod", .type = PT_QMOFFER, .flags = P_REQ,
	 .help = "One quick mode offer, e.g. ESP[AES128GCM], "
		 "ESP[AES256,SHA256] or AH[SHA1]."},
	{.tag = "enckey", .type = PT_SECRET,
	 .help = "Encryption key, 0x hex; for GCM the key then the 4-byte "
		 "salt. Never shown."},
	{.tag = "authkey", .type = PT_SECRET,
	 .help = "Integrity key, 0x hex. Never shown."},
	{.tag = "encap", .type = PT_ENUM, .choices = encap_choices,
	 .def = "none",
	 .help = "udp carries ESP in UDP port 4500 (RFC 3948)."},
	{0},
};

static const struct param delete_sa_params[] = {
	{.tag = "spi", .type = PT_STRING, .flags = P_REQ | P_POS,
	 .help = "Security parameter index: 0x hex or decimal."},
	{.tag = "direction", .type = PT_ENUM, .flags = P_REQ | P_POS,
	 .choices = direction_choices, .help = "in or out."},
	{0},
};

#define SVC (CMD_SERVICE)
#define SVC_CHANGES (CMD_SERVICE | CMD_CHANGES)

const struct command dynamic_commands[] = {
	{.name = "add mmpolicy", .help = "Adds a main mode policy to the SPD.",
	 .fn = dynamic_add_mmpolicy, .params = add_mmpolicy_params,
	 .flags = SVC_CHANGES,
	 .example = "add mmpolicy name=MM mmsec=\"AES128-SHA256-14\""},
	{.name = "add qmpolicy",
	 .help = "Adds a quick mode policy to the SPD.",
	 .fn = dynamic_add_qmpolicy, .params = add_qmpolicy_params,
	 .flags = SVC_CHANGES,
	 .example = "add qmpolicy name=QM pfsgroup=GRP14 "
		    "qmsec=\"ESP[AES128GCM]\""},
	{.name = "add rule", .help = "Adds a rule and its filters to the SPD.",
	 .fn = dynamic_add_rule, .params = add_rule_params,
	 .flags = SVC_CHANGES,
	 .remarks = "mmpolicy is required; qmpolicy too when an action is "
		    "negotiate.\nThe most specific matching filter decides.\n"
		    AUTH_REMARKS,
	 .example = "add rule srcaddr=me dstaddr=10.77.0.2 mmpolicy=MM "
		    "qmpolicy=QM psk=\"secret\""},
	{.name = "add sa", .help = "Adds a manually keyed security "
				   "association.",
	 .fn = dynamic_add_sa, .params = add_sa_params, .flags = SVC_CHANGES,
	 .remarks = "For testing and debugging; keys are never shown.\n"
		    "An outbound packet that a rule negotiates uses the "
		    "outbound SA whose addresses (transport) or tunnel end "
		    "points (tunnel) match.",
	 .example = "add sa spi=0x1000 srcaddr=10.77.0.1 dstaddr=10.77.0.2 "
		    "direction=out mode=transport secmethod=ESP[AES128GCM] "
		    "enckey=0x000102030405060708090a0b0c0d0e0f10111213"},
	{.name = "delete all",
	 .help = "Deletes all policies, filters, rules and manual SAs.",
	 .fn = dynamic_delete_all, .flags = SVC_CHANGES},
	{.name = "delete mmpolicy", .help = "Deletes main mode policies.",
	 .fn = dynamic_delete_mmpolicy, .params = name_or_all_mm,
	 .flags = SVC_CHANGES,
	 .remarks = "A policy used by a rule cannot be deleted."},
	{.name = "delete qmpolicy", .help = "Deletes quick mode policies.",
	 .fn = dynamic_delete_qmpolicy, .params = name_or_all_qm,
	 .flags = SVC_CHANGES,
	 .remarks = "A policy used by a rule cannot be deleted."},
	{.name = "delete rule", .help = "Deletes a rule and its filters.",
	 .fn = dynamic_delete_rule, .params = delete_rule_params,
	 .flags = SVC_CHANGES,
	 .remarks = "The filter values identify the rule; omitted ones take "
		    "add rule's defaults."},
	{.name = "delete sa",
	 .help = "Deletes a manually keyed security association.",
	 .fn = dynamic_delete_sa, .params = delete_sa_params,
	 .flags = SVC_CHANGES},
	{.name = "reload",
	 .help = "Applies the assigned static policy again if the store "
		 "changed.",
	 .fn = dynamic_reload, .flags = SVC | CMD_HIDDEN,
	 .remarks = "The shell sends it after each static change; the "
		    "service also polls the store every pollinginterval "
		    "minutes."},
	{.name = "set config", .help = "Sets a configuration property.",
	 .fn = dynamic_set_config, .params = set_config_params,
	 .flags = SVC_CHANGES,
	 .remarks = "ipsecdiagnostics 0-7 (default 0), ikelogging 0-1 (0), "
		    "strongcrlcheck 0-2 (1), ipsecloginterval 60-86400 "
		    "seconds (3600), ipsecexempt 0-3 (3), bootmode "
		    "stateful|block|permit (stateful), bootexemptions none "
		    "or \"Protocol:SrcPort:DstPort:Direction ...\" (none).",
	 .example = "set config ipsecdiagnostics 7"},
	{.name = "set mmpolicy", .help = "Modifies main mode policies.",
	 .fn = dynamic_set_mmpolicy, .params = set_mmpolicy_params,
	 .flags = SVC_CHANGES},
	{.name = "set qmpolicy", .help = "Modifies quick mode policies.",
	 .fn = dynamic_set_qmpolicy, .params = set_qmpolicy_params,
	 .flags = SVC_CHANGES},
	{.name = "set rule", .help = "Modifies a rule.",
	 .fn = dynamic_set_rule, .params = set_rule_params,
	 .flags = SVC_CHANGES,
	 .remarks = "Only mmpolicy, qmpolicy, actioninbound, actionoutbound "
		    "and the authentication methods change; the other values "
		    "identify the rule.\n" AUTH_REMARKS},
	{.name = "show all", .help = "Displays the whole SPD and the "
				     "associations.",
	 .fn = dynamic_show_all, .params = show_all_params, .flags = SVC},
	{.name = "show config", .help = "Displays the configuration "
					"properties.",
	 .fn = dynamic_show_config, .params = show_config_params,
	 .flags = SVC},
	{.name = "show mmfilter", .help = "Displays main mode filters.",
	 .fn = dynamic_show_mmfilter, .params = show_mmfilter_params,
	 .flags = SVC},
	{.name = "show mmpolicy", .help = "Displays main mode policies.",
	 .fn = dynamic_show_mmpolicy, .params = show_mmpolicy_params,
	 .flags = SVC},
	{.name = "show mmsas", .help = "Displays main mode security "
				       "associations.",
	 .fn = dynamic_show_mmsas, .params = show_sas_params, .flags = SVC},
	{.name = "show qmfilter", .help = "Displays quick mode filters.",
	 .fn = dynamic_show_qmfilter, .params = show_qmfilter_params,
	 .flags = SVC},
	{.name = "show qmpolicy", .help = "Displays quick mode policies.",
	 .fn = dynamic_show_qmpolicy, .params = show_qmpolicy_params,
	 .flags = SVC},
	{.name = "show qmsas", .help = "Displays quick mode security "
				       "associations.",
	 .fn = dynamic_show_qmsas, .params = show_sas_params, .flags = SVC},
	{.name = "show rule", .help = "Displays rules.",
	 .fn = dynamic_show_rule, .params = show_rule_params, .flags = SVC},
	{.name = "show stats", .help = "Displays IKE and IPsec statistics.",
	 .fn = dynamic_show_stats, .params = show_stats_params,
	 .flags = SVC},
	{0},
};
