/*
 * config.h - the service's configuration properties: what `set config`
 * changes and `show config` prints (netsh-reference.md §3.10), with
 * netsh's ranges and defaults.
 *
 * One list (CONFIG_PROPS) declares each property: its enum id, its name
 * (what `set config property=` takes: case-insensitive, any unique
 * prefix), its label for `show config`, its type and range, its default.
 * The enum, the name and label tables, parsing and the file format are
 * all generated from it.
 *
 * Values are checked fully and kept canonical: integers in decimal,
 * bootmode in lower case, bootexemptions as "none" or entries
 * "Protocol:SrcPort:DstPort:Direction" separated by one blank, protocol
 * TCP / UDP / ICMP or a number 0-255 (6, 17, 1 print as TCP, UDP,
 * ICMP), ports 0-65535 (non-zero only for TCP and UDP), direction
 * inbound or outbound.
 *
 * struct config is a plain value: copy it to keep a previous state.
 * Persistence: config_save writes "name=value" lines atomically (temp
 * file, fsync, rename) with mode 0600; config_load reads them back and
 * on any damage falls back to all defaults with a message (never a
 * partial or a crash).  The service keeps the file next to its socket:
 * <socket path>.conf.
 *
 * Errors: -1 with one line in err that quotes the bad input and gives
 * the range, e.g.
 *   invalid value "9" for ipsecdiagnostics: expected an integer from 0 to 7
 */
#ifndef IPSECSH_CONFIG_H
#define IPSECSH_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum config_type {
	CONFIG_T_INT,        /* integer in [min, max] */
	CONFIG_T_BOOTMODE,   /* enum config_bootmode */
	CONFIG_T_EXEMPTIONS, /* "none" or a list of struct config_exemption */
};

/* X(id, name, label, type, min, max, default text) */
#define CONFIG_PROPS(X)                                                        \
	X(IPSECDIAGNOSTICS, "ipsecdiagnostics", "IPSec Diagnostics",           \
	  CONFIG_T_INT, 0, 7, "0")                                             \
	X(IKELOGGING, "ikelogging", "IKE Logging", CONFIG_T_INT, 0, 1, "0")    \
	X(STRONGCRLCHECK, "strongcrlcheck", "Strong CRL Check", CONFIG_T_INT,  \
	  0, 2, "1")                                                           \
	X(IPSECLOGINTERVAL, "ipsecloginterval", "IPSec Log Interval",          \
	  CONFIG_T_INT, 60, 86400, "3600")                                     \
	X(IPSECEXEMPT, "ipsecexempt", "IPSec Exempt", CONFIG_T_INT, 0, 3, "3") \
	X(BOOTMODE, "bootmode", "Boot Mode", CONFIG_T_BOOTMODE, 0, 2,          \
	  "stateful")                                                          \
	X(BOOTEXEMPTIONS, "bootexemptions", "Boot Exemptions",                 \
	  CONFIG_T_EXEMPTIONS, 0, 0, "none")

#define CONFIG_X_ENUM(id, name, label, type, min, max, def) CONFIG_##id,
enum config_prop { CONFIG_PROPS(CONFIG_X_ENUM) CONFIG_NPROPS };

enum config_bootmode {
	CONFIG_BOOT_STATEFUL = 0,
	CONFIG_BOOT_BLOCK = 1,
	CONFIG_BOOT_PERMIT = 2,
};

/* One boot exemption: a permit filter of bootmode block or stateful. */
struct config_exemption {
	uint8_t protocol; /* IP protocol number; 0 = any */
	uint16_t srcport; /* 0 = any */
	uint16_t dstport; /* 0 = any */
	bool inbound;     /* else outbound */
};

#define CONFIG_EXEMPTIONS_MAX 64
/* Longest canonical value: 64 entries of at most 24 characters, blanks. */
#define CONFIG_VALUE_MAX 2048

struct config {
	long num[CONFIG_NPROPS]; /* CONFIG_T_INT and CONFIG_T_BOOTMODE */
	size_t nexempt;
	struct config_exemption exempt[CONFIG_EXEMPTIONS_MAX];
};

/* Every property at its default. */
void config_defaults(struct config *c);

const char *config_name(enum config_prop p);  /* "ipsecdiagnostics" */
const char *config_label(enum config_prop p); /* "IPSec Diagnostics" */
/* The accepted values, for messages and help: "0-7", "60-86400",
 * "stateful, block or permit", "none or Protocol:SrcPort:DstPort:..." */
const char *config_range(enum config_prop p);

/* The property a name means: exact, else a unique prefix, any case. */
int config_lookup(const char *name, enum config_prop *p, char *err,
                  size_t errlen);
/* Checks value and sets it; on failure c is unchanged. */
int config_set_prop(struct config *c, enum config_prop p, const char *value,
                    char *err, size_t errlen);
/* config_lookup + config_set_prop. */
int config_set(struct config *c, const char *name, const char *value, char *err,
               size_t errlen);
/* The canonical text of a value. */
void config_get(const struct config *c, enum config_prop p, char *buf,
                size_t len);
/* The number of an integer or bootmode property. */
long config_int(const struct config *c, enum config_prop p);

/* Every property in list order, for `show config`. */
struct config_item {
	enum config_prop prop;
	const char *name;
	const char *label;
	char value[CONFIG_VALUE_MAX];
};
void config_list(const struct config *c, struct config_item out[CONFIG_NPROPS]);

/* Parses a bootexemptions value into v (CONFIG_EXEMPTIONS_MAX entries). */
int config_parse_exemptions(const char *text, struct config_exemption *v,
                            size_t *n, char *err, size_t errlen);

/*
 * Reads path into c.  Returns 0 when read, 1 when there is no file (c
 * holds the defaults), -1 when the file is damaged or unreadable: c
 * holds the defaults and err says where ("PATH:LINE: ...").
 */
int config_load(struct config *c, const char *path, char *err, size_t errlen);
/* Writes c to path atomically, mode 0600. */
int config_save(const struct config *c, const char *path, char *err,
                size_t errlen);

#endif
