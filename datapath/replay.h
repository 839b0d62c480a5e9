/*
 * replay.h - the anti-replay window of an inbound SA (RFC 4303 §3.4.3),
 * kept as an RFC 6479 ring of 64-bit words: advancing the window clears
 * whole words, no bit of the bitmap is ever shifted.
 *
 * The ring holds REPLAY_RING_BITS sequence numbers; the usable window is
 * one word less (DP_REPLAY_WINDOW_MAX), so that the word being reused for
 * the newest numbers never holds numbers still inside the window.
 *
 * Use: replay_check() before the ICV is verified (cheap rejection of old
 * or duplicate packets), replay_update() only after it verified (a forged
 * packet must not move the window).  replay_update() checks again: two
 * workers may have passed replay_check() with the same number.  Both run
 * under the window's spinlock, held for a few dozen instructions.
 */
#ifndef IPSECSH_DP_REPLAY_H
#define IPSECSH_DP_REPLAY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define REPLAY_RING_WORDS 32u
#define REPLAY_RING_BITS (REPLAY_RING_WORDS * 64u)

struct replay {
	atomic_flag lock;
	uint32_t window; /* 1 .. DP_REPLAY_WINDOW_MAX */
	uint64_t top;    /* highest accepted; 0 = none yet */
	uint64_t ring[REPLAY_RING_WORDS];
};

/* window 0 means the maximum. */
void replay_init(struct replay *r, uint32_t window);
/* 0: may be new; -1: seq 0, duplicate or older than the window. */
int replay_check(struct replay *r, uint32_t seq);
/* Marks seq seen (moving the window forward); -1 if it was meanwhile. */
int replay_update(struct replay *r, uint32_t seq);
/* Highest accepted sequence number. */
uint64_t replay_top(struct replay *r);

#endif
