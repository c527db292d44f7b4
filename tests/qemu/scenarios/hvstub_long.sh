# SPDX-License-Identifier: GPL-2.0-only
# hvstub_long: long work never holds the stub's lock for long.  With
# max_order 20, one hypercall of 65536 order-20 maps (2^36 frames) and one
# of their unmaps complete with every status 0; with a small continue_work
# they take continuations, and a reader of the counters running meanwhile
# gets in between (it sees continuations counted while the hypercall
# runs).  xen_range over 2^32 frames returns at once.  No soft lockup or
# hung task (the boot has panic_on_warn and hung_task_timeout_secs=30);
# audit clean at the end.
# kernels: all
# debug: no
# timeout: 300

D=/sys/kernel/debug/xen_hvstub

counter() {
	awk -v k="$1" '$1 == k { print $2 }' $D/counters
}

t_insmod xen_pvcore || exit 1
t_insmod xen_hvstub || exit 1
t_check "max_order 20 (nothing mapped)" sh -c "echo 'max_order 20' > $D/set"

# Default threshold: such a batch is cheap (O(ranges) per op).
t_relay /tmp/hvs_long.out "" hvstub_cases bigbatch 65536 20 0 0x1000000000
t_eq "no continuation needed at the default threshold" 0 \
	"$(counter continuations_work)"

# A small threshold, and a reader that runs while the batches do.
t_check "continue_work 4096" sh -c "echo 'continue_work 4096' > $D/set"
rm -f /tmp/hvs_long.done
(
	while [ ! -e /tmp/hvs_long.done ]; do
		counter continuations_work
	done >/tmp/hvs_long.reads
) &
reader=$!
t_relay /tmp/hvs_long.out "" hvstub_cases bigbatch 65536 20 0 0x1000000000
touch /tmp/hvs_long.done
wait $reader
total=$(counter continuations_work)
# The counter at the start, between the two hypercalls, at the end.
set -- $(sed -n 's/^# continuations //p' /tmp/hvs_long.out)
t_log "continuations: $1 -> $2 -> $3; reads: $(wc -l </tmp/hvs_long.reads)"
t_eq "both batches took continuations (one per 4096 units of work)" yes \
	"$([ $(($2 - $1)) -ge 64 ] && [ $(($3 - $2)) -ge 64 ] && echo yes || echo no)"
# A value strictly inside one hypercall's range was read while it ran:
# the lock was released at its continuations.
t_eq "the reader got in while a hypercall ran" yes \
	"$(awk -v a="$1" -v b="$2" -v c="$3" '($1 > a && $1 < b) || ($1 > b && $1 < c) { n++ } END { print (n > 0) ? "yes" : "no" }' /tmp/hvs_long.reads)"
t_eq "every continuation flushed" "$total" \
	"$(($(counter flushes) - $(counter hypercalls)))"

# Commands bounded by the model's size, not by their arguments.
t_check "xen_range over 2^32 frames (none of them the model's)" \
	sh -c "echo '0x800000 0xff800000' > $D/xen_range"
t_eq "a frame inside is Xen's now" "rc 0 status EPERM" \
	"$(hvstub_cases op map_page bfn=0x100 gfn=0x12345678 flags=3 | cut -d' ' -f1-4)"
t_errno "xen_range over the caller's RAM: EBUSY" EBUSY \
	sh -c "echo '0 0x100000000' > $D/xen_range"
t_check "forget the provoked caller error" sh -c "echo clear_errors > $D/ctl"
t_eq "audit clean at the end" "verdict: clean" "$(grep '^verdict' $D/audit)"
t_rmmod xen_hvstub
t_rmmod xen_pvcore
t_eq "nothing of ours is loaded" "" "$(t_our_modules)"
exit 0
