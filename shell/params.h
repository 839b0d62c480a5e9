/*
 * params.h - parameters several command tables share: output format,
 * width, detail, DNS names, and the enumerations behind them.  Written
 * once here, used by static_table.c and dynamic_table.c.
 */
#ifndef IPSECSH_PARAMS_H
#define IPSECSH_PARAMS_H

#include "cmd.h"

static const char *const conntype_choices[] = {"all", "lan", "dialup",
					       NULL};
static const char *const action_choices[] = {"permit", "block", "negotiate",
					     NULL};
static const char *const format_choices[] = {"list", "table", "json", NULL};
static const char *const level_choices[] = {"normal", "verbose", NULL};
static const char *const ruletype_choices[] = {"tunnel", "transport", NULL};

#define P_FORMAT                                                            \
	{.tag = "format", .type = PT_ENUM, .flags = P_POS,                  \
	 .choices = format_choices, .def = "list",                          \
	 .help = "Output as a list, a table, or JSON for programs."}
#define P_WIDE                                                              \
	{.tag = "wide", .type = PT_BOOL, .flags = P_POS, .def = "yes",      \
	 .help = "no cuts lines to fit an 80-column screen."}
#define P_LEVEL                                                             \
	{.tag = "level", .type = PT_ENUM, .flags = P_POS,                   \
	 .choices = level_choices, .def = "normal",                         \
	 .help = "verbose also shows the parts of each object."}
#define P_RESOLVEDNS                                                        \
	{.tag = "resolvedns", .type = PT_BOOL, .flags = P_POS, .def = "no", \
	 .help = "yes adds the DNS name of each address."}

#define P_AUTH                                                              \
	{.tag = "kerberos", .type = PT_BOOL, .flags = P_POS,                \
	 .help = "Kerberos authentication: not available on Linux; yes is "  \
		 "an error."},                                               \
	{.tag = "psk", .type = PT_SECRET, .flags = P_POS,                   \
	 .help = "Pre-shared key for authentication. Never shown."},        \
	{                                                                   \
		.tag = "rootca", .type = PT_ROOTCA, .flags = P_POS | P_MULTI, \
		.help = "Certificate authentication trusting this root CA "  \
			"(a PEM file or a subject in /etc/ipsecsh/certs/)."  \
	}

#define AUTH_REMARKS                                                         \
	"Authentication methods are tried in the order given on the "       \
	"command line; psk= and rootca= (repeatable) may be mixed.\n"         \
	"Giving any authentication method replaces the whole list.\n"        \
	"rootca takes \"<CA> certmap:(yes|no) excludecaname:(yes|no)\"; "   \
	"inside the quotes write \\' for a double quote. certmap has no "    \
	"effect; excludecaname:yes keeps the CA name out of the "            \
	"certificate request.\n"                                             \
	"kerberos=yes is an error: use psk= or rootca=."

#endif
