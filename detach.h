/*
 * detach.h: --daemon for the card. The process forks early; the parent
 * stays in the foreground until the child says how its first login went,
 * so that a shell sees what a foreground card would have told it (exit
 * status 2 and the hub's refusal on stderr for a wrong password); the
 * child goes on in the background in a session of its own.
 */
#ifndef SOFTETHER_DETACH_H
#define SOFTETHER_DETACH_H

/* The parent waits this long past the child's own NIC_SETTLE_S for its
 * word before it gives up waiting (and exits 0: the child runs on). */
#define DETACH_GRACE_S 10

/*
 * Fork. The parent never returns: it waits for the child's verdict on a
 * pipe (detach_settle), prints what the child said went wrong, and exits
 * with the child's code (1 if the child died without a word). The child
 * gets a session of its own and "/" as its directory, and returns 0 with
 * stdio still open: its warnings and errors are passed to the parent
 * while they go to syslog. -1 (errno) if nothing could be forked.
 */
int detach_start(void);
/*
 * The child's verdict, told to the parent once: 0 up, a negative code
 * still trying (the parent warns and exits 0), else the card's exit code
 * (the parent exits with it). Then stdin, stdout and stderr become
 * /dev/null. Later calls, and calls in a process that did not detach, do
 * nothing.
 */
void detach_settle(int code);

#endif
