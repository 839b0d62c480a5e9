/*
 * vocab.h - the value vocabulary of IPsec policy: addresses, masks,
 * ports, protocols, security methods, root CAs, GUIDs and names.
 *
 * Every parser takes user text, validates it completely, and produces a
 * typed value plus its canonical text (the one spelling the store keeps
 * and show prints).  Parsers never print: on failure they return -1 and
 * write one line into err that quotes the bad token, e.g.
 *   "10.0.0.256" is not a valid IP address.
 * Where input is accepted but unwise (DES, MD5, DH groups 1 and 2), the
 * parser writes a warning line into warn (if given) and still returns 0.
 *
 * Words (keywords, algorithm names) are case-insensitive.  The rules are
 * those of spec/ipsecsh.md; this is the one place they are coded, shared
 * by the shell (arguments), the store's import and, later, the engine.
 */
#ifndef IPSECSH_VOCAB_H
#define IPSECSH_VOCAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VOCAB_ERR_MAX 256

/* ---- addresses ---------------------------------------------------- */

struct ip_addr {
	int family; /* AF_INET or AF_INET6 */
	uint8_t bytes[16];
};

enum addr_kind {
	ADDR_IP,	  /* single literal (lo) */
	ADDR_RANGE,	  /* lo-hi inclusive, same family, lo <= hi */
	ADDR_DNS,	  /* DNS name, resolved when applied */
	ADDR_ME,	  /* every local address */
	ADDR_ANY,	  /* any address */
	ADDR_SRV_DNS,	  /* server types */
	ADDR_SRV_WINS,
	ADDR_SRV_DHCP,
	ADDR_SRV_GATEWAY,
};

struct addr_spec {
	enum addr_kind kind;
	struct ip_addr lo, hi;
	char dns[254];
};

/*
 * Parses "10.1.2.3", "fe80::1", "10.0.0.1-10.0.0.9", "host.example",
 * "me", "any", "DNS", "WINS", "DHCP", "GATEWAY".  Canonical text:
 * inet_ntop spelling, "a-b" for ranges, lowercase DNS names, keywords as
 * "me", "any", "DNS", "WINS", "DHCP", "GATEWAY".
 */
int vocab_addr_parse(const char *text, struct addr_spec *out, char *err,
		     size_t errlen);
void vocab_addr_format(const struct addr_spec *a, char *buf, size_t len);
bool vocab_addr_is_server(const struct addr_spec *a);

int vocab_ip_parse(const char *text, struct ip_addr *out);
void vocab_ip_format(const struct ip_addr *ip, char *buf, size_t len);

/*
 * Canonical mask for an address.  mask_text is a dotted IPv4 mask
 * ("255.255.0.0", contiguous) or a prefix length ("16", "/16"), or NULL
 * for the default.  Rules:
 *   - a range takes no mask (error if one is given; canonical "");
 *   - an IPv6 literal takes a prefix 0-128, canonical "/N", default /128;
 *   - otherwise IPv4: prefix 0-32 or dotted, canonical dotted, default
 *     255.255.255.255, except "any" whose default is 0.0.0.0.
 * tag names the parameter in messages ("srcmask").
 */
int vocab_mask_canon(const struct addr_spec *addr, const char *mask_text,
		     const char *tag, char *out, size_t outlen, char *err,
		     size_t errlen);
/* Prefix length of a canonical mask ("255.255.255.0" -> 24, "/64" -> 64);
 * -1 for "". */
int vocab_mask_prefix(const char *canon);

/* ---- ports and protocols ------------------------------------------ */

/* 0-65535, 0 meaning any. */
int vocab_port_parse(const char *text, int *out, char *err, size_t errlen);

#define VOCAB_PROTO_ANY 0
#define VOCAB_PROTO_ICMP 1
#define VOCAB_PROTO_TCP 6
#define VOCAB_PROTO_UDP 17
#define VOCAB_PROTO_RAW 255
/* ANY, ICMP, TCP, UDP, RAW (unique prefixes accepted) or 0-255. */
int vocab_protocol_parse(const char *text, int *out, char *err,
			 size_t errlen);
/* "ANY", "ICMP", "TCP", "UDP", "RAW" or the number. */
void vocab_protocol_format(int proto, char *buf, size_t len);
/* Ports other than 0 need TCP or UDP. */
int vocab_ports_check(int proto, int srcport, int dstport, char *err,
		      size_t errlen);

/* ---- main mode security methods ----------------------------------- */

enum mm_enc { MM_ENC_DES, MM_ENC_3DES, MM_ENC_AES128, MM_ENC_AES192,
	      MM_ENC_AES256 };
enum mm_hash { MM_HASH_MD5, MM_HASH_SHA1, MM_HASH_SHA256, MM_HASH_SHA384,
	       MM_HASH_SHA512 };

#define VOCAB_OFFERS_MAX 16

struct mm_offer {
	enum mm_enc enc;
	enum mm_hash hash;
	int group;	 /* as spelled: 1, 2, 3, 14, 15, 16, 19, 20, 21, 31 */
	int iana_group;	 /* on the wire: 3 -> 14, others unchanged */
};

struct mm_methods {
	size_t n;
	struct mm_offer offer[VOCAB_OFFERS_MAX];
};

#define VOCAB_MMSEC_DEFAULT \
	"AES128-SHA256-14 AES256-SHA256-14 AES128-SHA256-19 AES128-SHA1-14 " \
	"3DES-SHA1-3"

/* "ENC-HASH-GROUP ..." in preference order; duplicates are errors. */
int vocab_mmsec_parse(const char *text, struct mm_methods *out, char *err,
		      size_t errlen, char *warn, size_t warnlen);
void vocab_mmsec_format(const struct mm_methods *m, char *buf, size_t len);

/* ---- quick mode security methods ---------------------------------- */

enum qm_conf { QM_CONF_NONE, QM_CONF_DES, QM_CONF_3DES, QM_CONF_AES128,
	       QM_CONF_AES192, QM_CONF_AES256, QM_CONF_AES128GCM,
	       QM_CONF_AES256GCM };
enum qm_integ { QM_INTEG_NONE, QM_INTEG_MD5, QM_INTEG_SHA1,
		QM_INTEG_SHA256, QM_INTEG_SHA384, QM_INTEG_SHA512 };

#define VOCAB_QM_SECONDS_MIN 300
#define VOCAB_QM_SECONDS_MAX 172800
#define VOCAB_QM_SECONDS_DEFAULT 3600
#define VOCAB_QM_KBYTES_MIN 20480
#define VOCAB_QM_KBYTES_MAX 2147483647
#define VOCAB_QM_KBYTES_DEFAULT 100000

struct qm_offer {
	bool ah;		/* AH present */
	enum qm_integ ah_hash;	/* SHA1, SHA256 or MD5 */
	bool esp;		/* ESP present */
	enum qm_conf esp_conf;
	enum qm_integ esp_integ;
	uint32_t kbytes;	/* always filled (default applied) */
	uint32_t seconds;
};

struct qm_methods {
	size_t n;
	struct qm_offer offer[VOCAB_OFFERS_MAX];
};

#define VOCAB_QMSEC_DEFAULT \
	"ESP[AES128GCM]:100000k/3600s ESP[AES256,SHA256]:100000k/3600s " \
	"ESP[AES128,SHA1]:100000k/3600s ESP[3DES,SHA1]:100000k/3600s"

/*
 * "ESP[CONF,INTEG]:Nk/Ns", "AH[HASH]:..", "AH[HASH]+ESP[CONF,INTEG]:..",
 * GCM short form "ESP[AES128GCM]".  Canonical text always carries
 * ":Nk/Ns" and uses the GCM short form.
 */
int vocab_qmsec_parse(const char *text, struct qm_methods *out, char *err,
		      size_t errlen, char *warn, size_t warnlen);
/* One offer, e.g. for "add sa secmethod=": exactly one, lifetime allowed. */
int vocab_qmoffer_parse(const char *text, struct qm_offer *out, char *err,
			size_t errlen, char *warn, size_t warnlen);
void vocab_qmsec_format(const struct qm_methods *m, char *buf, size_t len);
void vocab_qmoffer_format(const struct qm_offer *o, char *buf, size_t len);

/* ---- PFS groups (dynamic qmpolicy) -------------------------------- */

/* GRP1 GRP2 GRP3 GRP14 GRP15 GRP16 GRP19 GRP20 GRP21 GRP31 GRPMM NOPFS.
 * out: IANA group, 0 for NOPFS, -1 for GRPMM.  Canonical: upper case. */
int vocab_pfsgroup_parse(const char *text, int *out, char *err,
			 size_t errlen);
void vocab_pfsgroup_format(int group, char *buf, size_t len);

/* ---- root CA authentication --------------------------------------- */

struct rootca_spec {
	char ca[1024];	/* PEM path or certificate subject */
	bool certmap;
	bool excludecaname;
};

/*
 * "<CA> certmap:(yes|no) excludecaname:(yes|no)": the options are the
 * trailing words, each optional, default no; the rest is the CA (may
 * contain blanks; \' stands for a double quote).  Canonical text:
 * "<CA> certmap:no excludecaname:no" with both options spelled out.
 */
int vocab_rootca_parse(const char *text, struct rootca_spec *out, char *err,
		       size_t errlen);
void vocab_rootca_format(const struct rootca_spec *r, char *buf, size_t len);

/* ---- names and GUIDs ---------------------------------------------- */

/* 1-255 bytes, no control characters, not all blanks. */
int vocab_name_check(const char *text, const char *what, char *err,
		     size_t errlen);
/* "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}" (braces optional on input);
 * canonical upper case with braces. */
int vocab_guid_parse(const char *text, char out[39], char *err,
		     size_t errlen);

#endif
