/*
 * dynamic.h - the "ipsec dynamic" context: handlers that run inside the
 * service against its live state (engine/live.h), one file per kind of
 * object, and the show models they share.  The table is
 * dynamic_table.c.  In the shell process these commands are forwarded
 * to the service (service_link.c); they never run there.
 */
#ifndef IPSECSH_DYNAMIC_H
#define IPSECSH_DYNAMIC_H

#include "cmd.h"

struct shell;

enum cmd_status dynamic_add_mmpolicy(struct shell *sh, const struct args *a);
enum cmd_status dynamic_set_mmpolicy(struct shell *sh, const struct args *a);
enum cmd_status dynamic_delete_mmpolicy(struct shell *sh,
					const struct args *a);
enum cmd_status dynamic_show_mmpolicy(struct shell *sh, const struct args *a);

enum cmd_status dynamic_add_qmpolicy(struct shell *sh, const struct args *a);
enum cmd_status dynamic_set_qmpolicy(struct shell *sh, const struct args *a);
enum cmd_status dynamic_delete_qmpolicy(struct shell *sh,
					const struct args *a);
enum cmd_status dynamic_show_qmpolicy(struct shell *sh, const struct args *a);

enum cmd_status dynamic_add_rule(struct shell *sh, const struct args *a);
enum cmd_status dynamic_set_rule(struct shell *sh, const struct args *a);
enum cmd_status dynamic_delete_rule(struct shell *sh, const struct args *a);
enum cmd_status dynamic_show_rule(struct shell *sh, const struct args *a);
enum cmd_status dynamic_show_mmfilter(struct shell *sh, const struct args *a);
enum cmd_status dynamic_show_qmfilter(struct shell *sh, const struct args *a);

enum cmd_status dynamic_add_sa(struct shell *sh, const struct args *a);
enum cmd_status dynamic_delete_sa(struct shell *sh, const struct args *a);
enum cmd_status dynamic_show_qmsas(struct shell *sh, const struct args *a);
enum cmd_status dynamic_show_mmsas(struct shell *sh, const struct args *a);

enum cmd_status dynamic_delete_all(struct shell *sh, const struct args *a);
enum cmd_status dynamic_show_all(struct shell *sh, const struct args *a);
enum cmd_status dynamic_show_stats(struct shell *sh, const struct args *a);
enum cmd_status dynamic_set_config(struct shell *sh, const struct args *a);
enum cmd_status dynamic_show_config(struct shell *sh, const struct args *a);
enum cmd_status dynamic_reload(struct shell *sh, const struct args *a);

#endif
