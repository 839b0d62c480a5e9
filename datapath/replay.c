/*
 * replay.c - RFC 6479-style anti-replay window; see replay.h.
 */
#include <string.h>

#include "datapath.h"
#include "replay.h"

_Static_assert(REPLAY_RING_BITS - 64u == DP_REPLAY_WINDOW_MAX,
               "window = ring minus one word (RFC 6479)");

static void
lock(struct replay *r)
{
	while (
	    atomic_flag_test_and_set_explicit(&r->lock, memory_order_acquire))
		;
}

static void
unlock(struct replay *r)
{
	atomic_flag_clear_explicit(&r->lock, memory_order_release);
}

void
replay_init(struct replay *r, uint32_t window)
{
	memset(r->ring, 0, sizeof(r->ring));
	atomic_flag_clear(&r->lock);
	if (window == 0 || window > DP_REPLAY_WINDOW_MAX)
		window = DP_REPLAY_WINDOW_MAX;
	r->window = window;
	r->top = 0;
}

static bool
seen(const struct replay *r, uint64_t seq)
{
	uint64_t bit = seq & (REPLAY_RING_BITS - 1);

	return (r->ring[bit / 64] >> (bit % 64)) & 1;
}

/* Caller holds the lock. */
static int
check_locked(const struct replay *r, uint64_t seq)
{
	if (seq == 0)
		return -1; /* never sent: the first packet is 1 */
	if (seq > r->top)
		return 0;
	if (r->top - seq >= r->window)
		return -1; /* left of the window */
	return seen(r, seq) ? -1 : 0;
}

int
replay_check(struct replay *r, uint32_t seq)
{
	int rc;

	lock(r);
	rc = check_locked(r, seq);
	unlock(r);
	return rc;
}

int
replay_update(struct replay *r, uint32_t seq32)
{
	uint64_t seq = seq32, bit;
	int rc;

	lock(r);
	rc = check_locked(r, seq);
	if (rc == 0) {
		if (seq > r->top) {
			/* Clear the words the window moves into, at most
			 * the whole ring. */
			uint64_t cur = r->top / 64, next = seq / 64;
			uint64_t n = next - cur, i;

			if (n > REPLAY_RING_WORDS)
				n = REPLAY_RING_WORDS;
			for (i = 1; i <= n; i++)
				r->ring[(cur + i) % REPLAY_RING_WORDS] = 0;
			r->top = seq;
		}
		bit = seq & (REPLAY_RING_BITS - 1);
		r->ring[bit / 64] |= (uint64_t)1 << (bit % 64);
	}
	unlock(r);
	return rc;
}

uint64_t
replay_top(struct replay *r)
{
	uint64_t top;

	lock(r);
	top = r->top;
	unlock(r);
	return top;
}
