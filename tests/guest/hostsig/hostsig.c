/*
 * Signals sent to ukrun reach process 1 (vmm/signal_fwd.c,
 * libos/virtio/host_signal.c). argv[1] picks what the program does; it
 * prints "ready" once set up, and the host script (tests/e2e/kvm/signals.sh)
 * then signals ukrun and checks the output and the exit status:
 *  - trap: SIGTERM's handler says who sent it, the program ends with 7;
 *  - ignore: SIGTERM ignored, the program sleeps on (ended from outside);
 *  - default: no handler, SIGTERM's default action ends it (143);
 *  - read: a read of the console is interrupted by SIGINT (EINTR), exit 9;
 *  - hup: each SIGHUP is counted, the third ends it with 3 (the VM does
 *    not end at a repeated signal that is not SIGINT/TERM/QUIT);
 *  - spin: interrupts off, a loop: the guest can take nothing (ukrun
 *    stops the VM at --stop-timeout);
 *  - flood: SIGTERM ignored, output written forever (to a pipe nobody
 *    reads, ukrun waits in its write: its watch thread stops the VM).
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t got, got_code, got_pid = -1;
extern volatile uint8_t *uk_vif; /* the paravirtual host's interrupt flag, else NULL */

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	got++;
	got_code = si->si_code;
	got_pid = si->si_pid;
}

/* The handler for sig; sig blocked but in wait() (no signal lost between
 * a look at got and the wait). */
static void install(int sig)
{
	struct sigaction sa;
	sigset_t set;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO;
	sigaction(sig, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_BLOCK, &set, NULL);
}

static void wait_signal(void)
{
	sigset_t none;

	sigemptyset(&none);
	sigsuspend(&none);
}

static void ready(void)
{
	printf("ready\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "trap";
	char buf[16];
	ssize_t n;

	if (!strcmp(mode, "trap")) {
		install(SIGTERM);
		ready();
		while (!got)
			wait_signal();
		printf("SIGTERM from pid %d, code %d\n", (int)got_pid, (int)got_code);
		return 7;
	}
	if (!strcmp(mode, "ignore"))
		signal(SIGTERM, SIG_IGN);
	if (!strcmp(mode, "ignore") || !strcmp(mode, "default")) {
		ready();
		for (;;)
			sleep(1);
	}
	if (!strcmp(mode, "read")) {
		struct sigaction sa = { 0 };
		sa.sa_sigaction = on_signal;
		sa.sa_flags = SA_SIGINFO; /* no SA_RESTART: the read fails */
		sigaction(SIGINT, &sa, NULL);
		ready();
		n = read(0, buf, sizeof(buf));
		printf("read: %zd, %s, signals %d\n", n, n < 0 ? strerror(errno) : "-", (int)got);
		return 9;
	}
	if (!strcmp(mode, "hup")) {
		install(SIGHUP);
		ready();
		for (int seen = 0; got < 3;)
			if (got > seen)
				printf("hup %d\n", seen = got), fflush(stdout);
			else
				wait_signal();
		return 3;
	}
	if (!strcmp(mode, "spin")) {
		ready();
		if (uk_vif)
			uk_vif[0] = 0;
		else
			__asm__ volatile("cli");
		for (;;)
			__asm__ volatile("pause");
	}
	if (!strcmp(mode, "flood")) {
		signal(SIGTERM, SIG_IGN);
		for (unsigned long i = 0;; i++)
			printf("flood %lu: the host's pipe fills and ukrun waits in its write\n",
			       i);
	}
	printf("unknown mode %s\n", mode);
	return 2;
}
