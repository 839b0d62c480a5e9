/*
 * config.c - the `set config` properties: tables generated from
 * CONFIG_PROPS, value parsing and canonical text, and the file that
 * keeps them across restarts.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONFIG_FILE_MAX 65536

struct prop_desc {
	const char *name;
	const char *label;
	enum config_type type;
	long min, max;
	const char *def;
	const char *range; /* "0-7", for CONFIG_T_INT */
};

#define CONFIG_X_DESC(id, name, label, type, min, max, def)                    \
	{name, label, type, min, max, def, #min "-" #max},
static const struct prop_desc props[CONFIG_NPROPS] = {
    CONFIG_PROPS(CONFIG_X_DESC)};

static const char *const bootmodes[] = {"stateful", "block", "permit"};

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

const char *
config_name(enum config_prop p)
{
	return (unsigned)p < CONFIG_NPROPS ? props[p].name : "?";
}

const char *
config_label(enum config_prop p)
{
	return (unsigned)p < CONFIG_NPROPS ? props[p].label : "?";
}

const char *
config_range(enum config_prop p)
{
	if ((unsigned)p >= CONFIG_NPROPS)
		return "?";
	switch (props[p].type) {
	case CONFIG_T_BOOTMODE:
		return "stateful, block or permit";
	case CONFIG_T_EXEMPTIONS:
		return "none or a list of Protocol:SrcPort:DstPort:Direction";
	case CONFIG_T_INT:
		break;
	}
	return props[p].range;
}

/* Decimal digits only (no sign, no blanks), at most 9 of them that
 * matter; -1 if not a number. */
static long
parse_uint(const char *s, size_t n)
{
	long v = 0;
	size_t i;

	if (n == 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v > 100000000L)
			return LONG_MAX; /* out of every range */
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

void
config_defaults(struct config *c)
{
	int i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < CONFIG_NPROPS; i++) {
		char err[64];

		/* The defaults are ours: they parse. */
		if (config_set_prop(c, (enum config_prop)i, props[i].def, err,
		                    sizeof(err)) < 0)
			abort();
	}
}

int
config_lookup(const char *name, enum config_prop *p, char *err, size_t errlen)
{
	size_t n = strlen(name), i, found = 0;
	char cand[256] = "";

	if (n == 0)
		return fail(err, errlen,
		            "no property given; one of: ipsecdiagnostics, "
		            "ikelogging, strongcrlcheck, ipsecloginterval, "
		            "ipsecexempt, bootmode, bootexemptions");
	for (i = 0; i < CONFIG_NPROPS; i++)
		if (strcasecmp(name, props[i].name) == 0) {
			*p = (enum config_prop)i;
			return 0;
		}
	for (i = 0; i < CONFIG_NPROPS; i++) {
		if (strncasecmp(name, props[i].name, n) != 0)
			continue;
		if (found++ > 0)
			strncat(cand, ", ", sizeof(cand) - strlen(cand) - 1);
		strncat(cand, props[i].name, sizeof(cand) - strlen(cand) - 1);
		*p = (enum config_prop)i;
	}
	if (found == 1)
		return 0;
	if (found > 1)
		return fail(err, errlen, "property \"%s\" is ambiguous: %s",
		            name, cand);
	return fail(err, errlen,
	            "\"%s\" is not a configuration property; one of: "
	            "ipsecdiagnostics, ikelogging, strongcrlcheck, "
	            "ipsecloginterval, ipsecexempt, bootmode, bootexemptions",
	            name);
}

/* ---- bootexemptions ------------------------------------------------- */

static int
parse_protocol(const char *s, size_t n, uint8_t *proto)
{
	long v;

	if (n == 3 && strncasecmp(s, "TCP", 3) == 0)
		v = 6;
	else if (n == 3 && strncasecmp(s, "UDP", 3) == 0)
		v = 17;
	else if (n == 4 && strncasecmp(s, "ICMP", 4) == 0)
		v = 1;
	else
		v = parse_uint(s, n);
	if (v < 0 || v > 255)
		return -1;
	*proto = (uint8_t)v;
	return 0;
}

static int
parse_port(const char *s, size_t n, uint16_t *port)
{
	long v = parse_uint(s, n);

	if (v < 0 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/* One "Protocol:SrcPort:DstPort:Direction" entry of n bytes at s. */
static int
parse_exemption(const char *s, size_t n, struct config_exemption *e, char *err,
                size_t errlen)
{
	const char *f[4];
	size_t fl[4], i = 0, k;
	const char *p = s, *end = s + n;

	for (k = 0; k < 4; k++) {
		const char *colon = memchr(p, ':', (size_t)(end - p));

		f[k] = p;
		if (k < 3) {
			if (colon == NULL)
				break;
			fl[k] = (size_t)(colon - p);
			p = colon + 1;
		} else {
			if (colon != NULL)
				break;
			fl[k] = (size_t)(end - p);
		}
		i++;
	}
	if (i != 4)
		return fail(err, errlen,
		            "entry \"%.*s\" is not "
		            "Protocol:SrcPort:DstPort:Direction",
		            (int)n, s);
	memset(e, 0, sizeof(*e));
	if (parse_protocol(f[0], fl[0], &e->protocol) < 0)
		return fail(err, errlen,
		            "entry \"%.*s\": protocol \"%.*s\" is not TCP, "
		            "UDP, ICMP or a number from 0 to 255",
		            (int)n, s, (int)fl[0], f[0]);
	if (parse_port(f[1], fl[1], &e->srcport) < 0)
		return fail(err, errlen,
		            "entry \"%.*s\": source port \"%.*s\" is not a "
		            "number from 0 to 65535",
		            (int)n, s, (int)fl[1], f[1]);
	if (parse_port(f[2], fl[2], &e->dstport) < 0)
		return fail(err, errlen,
		            "entry \"%.*s\": destination port \"%.*s\" is "
		            "not a number from 0 to 65535",
		            (int)n, s, (int)fl[2], f[2]);
	if ((e->srcport != 0 || e->dstport != 0) && e->protocol != 6 &&
	    e->protocol != 17)
		return fail(err, errlen,
		            "entry \"%.*s\": ports apply to TCP and UDP only "
		            "(use 0 for other protocols)",
		            (int)n, s);
	if (fl[3] == 7 && strncasecmp(f[3], "inbound", 7) == 0)
		e->inbound = true;
	else if (fl[3] == 8 && strncasecmp(f[3], "outbound", 8) == 0)
		e->inbound = false;
	else
		return fail(err, errlen,
		            "entry \"%.*s\": direction \"%.*s\" is not "
		            "inbound or outbound",
		            (int)n, s, (int)fl[3], f[3]);
	return 0;
}

int
config_parse_exemptions(const char *text, struct config_exemption *v, size_t *n,
                        char *err, size_t errlen)
{
	const char *p = text;
	size_t count = 0, i;
	bool none = false;

	*n = 0;
	for (;;) {
		size_t len;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		len = strcspn(p, " \t");
		if (len == 4 && strncasecmp(p, "none", 4) == 0) {
			none = true;
		} else {
			struct config_exemption e;

			if (count == CONFIG_EXEMPTIONS_MAX)
				return fail(err, errlen, "more than %d entries",
				            CONFIG_EXEMPTIONS_MAX);
			if (parse_exemption(p, len, &e, err, errlen) < 0)
				return -1;
			for (i = 0; i < count; i++)
				if (v[i].protocol == e.protocol &&
				    v[i].srcport == e.srcport &&
				    v[i].dstport == e.dstport &&
				    v[i].inbound == e.inbound)
					return fail(err, errlen,
					            "entry \"%.*s\" is given "
					            "twice",
					            (int)len, p);
			v[count++] = e;
		}
		p += len;
	}
	if (none && count > 0)
		return fail(err, errlen,
		            "\"none\" cannot be combined with "
		            "entries");
	if (!none && count == 0)
		return fail(err, errlen,
		            "empty (use \"none\" for no "
		            "exemptions)");
	*n = count;
	return 0;
}

static void
exemptions_text(const struct config *c, char *buf, size_t len)
{
	size_t i, off = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	if (c->nexempt == 0) {
		snprintf(buf, len, "none");
		return;
	}
	for (i = 0; i < c->nexempt && off < len; i++) {
		const struct config_exemption *e = &c->exempt[i];
		char proto[8];
		int w;

		if (e->protocol == 6)
			snprintf(proto, sizeof(proto), "TCP");
		else if (e->protocol == 17)
			snprintf(proto, sizeof(proto), "UDP");
		else if (e->protocol == 1)
			snprintf(proto, sizeof(proto), "ICMP");
		else
			snprintf(proto, sizeof(proto), "%u", e->protocol);
		w = snprintf(buf + off, len - off, "%s%s:%u:%u:%s",
		             i > 0 ? " " : "", proto, e->srcport, e->dstport,
		             e->inbound ? "inbound" : "outbound");
		if (w < 0)
			break;
		off += (size_t)w;
	}
}

/* ---- set and get ---------------------------------------------------- */

int
config_set_prop(struct config *c, enum config_prop p, const char *value,
                char *err, size_t errlen)
{
	const struct prop_desc *d;
	struct config_exemption v[CONFIG_EXEMPTIONS_MAX];
	char why[200];
	size_t n, i, found = 0;
	long num;

	if ((unsigned)p >= CONFIG_NPROPS)
		return fail(err, errlen, "unknown property");
	d = &props[p];
	switch (d->type) {
	case CONFIG_T_INT:
		num = parse_uint(value, strlen(value));
		if (num < d->min || num > d->max)
			return fail(err, errlen,
			            "invalid value \"%s\" for %s: expected an "
			            "integer from %ld to %ld",
			            value, d->name, d->min, d->max);
		c->num[p] = num;
		return 0;
	case CONFIG_T_BOOTMODE:
		n = strlen(value);
		num = -1;
		for (i = 0; n > 0 && i < 3; i++) {
			if (strcasecmp(value, bootmodes[i]) == 0) {
				found = 1;
				num = (long)i;
				break;
			}
			if (strncasecmp(value, bootmodes[i], n) == 0) {
				found++;
				num = (long)i;
			}
		}
		if (found != 1)
			return fail(err, errlen,
			            "invalid value \"%s\" for %s: expected "
			            "stateful, block or permit",
			            value, d->name);
		c->num[p] = num;
		return 0;
	case CONFIG_T_EXEMPTIONS:
		if (config_parse_exemptions(value, v, &n, why, sizeof(why)) < 0)
			return fail(err, errlen,
			            "invalid value \"%s\" for %s: %s; expected "
			            "none or a list such as "
			            "\"TCP:0:3389:inbound UDP:0:53:outbound\"",
			            value, d->name, why);
		/* Unused entries stay zero: equal configs compare equal. */
		memset(c->exempt, 0, sizeof(c->exempt));
		memcpy(c->exempt, v, n * sizeof(v[0]));
		c->nexempt = n;
		return 0;
	}
	return fail(err, errlen, "unknown property");
}

int
config_set(struct config *c, const char *name, const char *value, char *err,
           size_t errlen)
{
	enum config_prop p;

	if (config_lookup(name, &p, err, errlen) < 0)
		return -1;
	return config_set_prop(c, p, value, err, errlen);
}

void
config_get(const struct config *c, enum config_prop p, char *buf, size_t len)
{
	if (len == 0)
		return;
	buf[0] = '\0';
	if ((unsigned)p >= CONFIG_NPROPS)
		return;
	switch (props[p].type) {
	case CONFIG_T_INT:
		snprintf(buf, len, "%ld", c->num[p]);
		break;
	case CONFIG_T_BOOTMODE:
		snprintf(buf, len, "%s",
		         c->num[p] >= 0 && c->num[p] <= 2 ? bootmodes[c->num[p]]
		                                          : "stateful");
		break;
	case CONFIG_T_EXEMPTIONS:
		exemptions_text(c, buf, len);
		break;
	}
}

long
config_int(const struct config *c, enum config_prop p)
{
	return (unsigned)p < CONFIG_NPROPS ? c->num[p] : 0;
}

void
config_list(const struct config *c, struct config_item out[CONFIG_NPROPS])
{
	int i;

	for (i = 0; i < CONFIG_NPROPS; i++) {
		out[i].prop = (enum config_prop)i;
		out[i].name = props[i].name;
		out[i].label = props[i].label;
		config_get(c, (enum config_prop)i, out[i].value,
		           sizeof(out[i].value));
	}
}

/* ---- the file ------------------------------------------------------- */

/* Parses the text of a config file into c; -1 with "LINE: why". */
static int
parse_file(struct config *c, char *text, char *err, size_t errlen)
{
	bool seen[CONFIG_NPROPS] = {false};
	char *line = text, why[CONFIG_VALUE_MAX + 256];
	long lineno = 0;
	size_t i;

	while (line != NULL && *line != '\0') {
		char *nl = strchr(line, '\n'), *eq;
		enum config_prop p = CONFIG_IPSECDIAGNOSTICS;
		bool known = false;

		lineno++;
		if (nl != NULL)
			*nl = '\0';
		if (line[0] == '\0' || line[0] == '#')
			goto next;
		eq = strchr(line, '=');
		if (eq == NULL)
			return fail(err, errlen, "%ld: not name=value", lineno);
		*eq = '\0';
		/* The file holds full names only, as config_save writes. */
		for (i = 0; i < CONFIG_NPROPS; i++)
			if (strcmp(line, props[i].name) == 0) {
				p = (enum config_prop)i;
				known = true;
			}
		if (!known)
			return fail(err, errlen,
			            "%ld: unknown property \"%.64s\"", lineno,
			            line);
		if (seen[p])
			return fail(err, errlen, "%ld: %s given twice", lineno,
			            line);
		seen[p] = true;
		if (config_set_prop(c, p, eq + 1, why, sizeof(why)) < 0)
			return fail(err, errlen, "%ld: %.300s", lineno, why);
	next:
		line = nl != NULL ? nl + 1 : NULL;
	}
	return 0;
}

int
config_load(struct config *c, const char *path, char *err, size_t errlen)
{
	struct config tmp;
	struct stat st;
	char *text = NULL, why[512];
	ssize_t n;
	size_t len = 0;
	int fd, rc = -1;

	config_defaults(c);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			return 1;
		return fail(err, errlen, "%s: %s", path, strerror(errno));
	}
	if (fstat(fd, &st) < 0) {
		fail(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		fail(err, errlen, "%s: not a regular file", path);
		goto out;
	}
	if (st.st_size > CONFIG_FILE_MAX) {
		fail(err, errlen, "%s: larger than %d bytes", path,
		     CONFIG_FILE_MAX);
		goto out;
	}
	text = malloc(CONFIG_FILE_MAX + 1);
	if (text == NULL) {
		fail(err, errlen, "%s: out of memory", path);
		goto out;
	}
	while (len < CONFIG_FILE_MAX + 1) {
		n = read(fd, text + len, CONFIG_FILE_MAX + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fail(err, errlen, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > CONFIG_FILE_MAX) {
		fail(err, errlen, "%s: larger than %d bytes", path,
		     CONFIG_FILE_MAX);
		goto out;
	}
	text[len] = '\0';
	if (memchr(text, '\0', len) != NULL) {
		fail(err, errlen, "%s: holds a NUL byte", path);
		goto out;
	}
	config_defaults(&tmp);
	if (parse_file(&tmp, text, why, sizeof(why)) < 0) {
		fail(err, errlen, "%s:%s", path, why);
		goto out;
	}
	*c = tmp;
	rc = 0;
out:
	free(text);
	close(fd);
	return rc;
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
config_save(const struct config *c, const char *path, char *err, size_t errlen)
{
	char *tmp = NULL, *dir = NULL, *slash;
	char value[CONFIG_VALUE_MAX], line[CONFIG_VALUE_MAX + 64];
	int fd = -1, dfd, rc = -1, i;
	static const char head[] =
	    "# ipsecsh service configuration (set config), written by "
	    "the service.\n";

	if (asprintf(&tmp, "%s.XXXXXX", path) < 0) {
		tmp = NULL;
		return fail(err, errlen, "out of memory");
	}
	fd = mkostemp(tmp, O_CLOEXEC); /* mode 0600 */
	if (fd < 0) {
		fail(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (fchmod(fd, 0600) < 0 || write_all(fd, head, strlen(head)) < 0)
		goto io;
	for (i = 0; i < CONFIG_NPROPS; i++) {
		config_get(c, (enum config_prop)i, value, sizeof(value));
		snprintf(line, sizeof(line), "%s=%s\n", props[i].name, value);
		if (write_all(fd, line, strlen(line)) < 0)
			goto io;
	}
	if (fsync(fd) < 0)
		goto io;
	if (close(fd) < 0) {
		fd = -1;
		goto io;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		goto io;
	free(tmp);
	tmp = NULL;
	/* The rename itself must reach the disk too. */
	dir = strdup(path);
	if (dir != NULL) {
		slash = strrchr(dir, '/');
		if (slash != NULL) {
			*(slash == dir ? slash + 1 : slash) = '\0';
			dfd = open(slash == NULL ? "." : dir,
			           O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		} else {
			dfd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		}
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
	}
	rc = 0;
	goto out;
io:
	fail(err, errlen, "cannot write %s: %s", path, strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	if (tmp != NULL) {
		unlink(tmp);
		free(tmp);
	}
	free(dir);
	return rc;
}
