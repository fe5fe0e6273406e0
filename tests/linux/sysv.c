/*
 * System V semaphores and message queues (libos/ipc/sysv_sem.c,
 * sysv_msg.c), as a Linux program, between processes of the VM: two
 * processes ping-ponging through a semaphore set, semop's all-or-nothing
 * rule, IPC_NOWAIT and semtimedop's timeout (EAGAIN), a wait ended by a
 * signal (EINTR) and by the set's removal (EIDRM), semncnt/semzcnt of a
 * waiter, SEM_UNDO undone when a child exits or is killed, semctl's
 * commands and limits; messages in order, by type (msgtyp 0, >0, <0,
 * MSG_EXCEPT), E2BIG and MSG_NOERROR, a full queue, a receiver woken by
 * a sender in another process and by the queue's removal; keys and
 * permissions (a child that is not root is refused a 0600 object).
 * Prints one "PASS name" or "FAIL name: why" line per check and
 * "sysv: all passed" at the end; the same program as a Linux process
 * answers the same.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SUITE "sysv"
#include "check.h"

union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
	struct seminfo *__buf;
};

static int exited(int st, int code) { return WIFEXITED(st) && WEXITSTATUS(st) == code; }

static int sem_op(int id, unsigned short n, short op, short flags)
{
	struct sembuf b = { n, op, flags };

	return semop(id, &b, 1);
}

static int semval(int id, int n) { return semctl(id, n, GETVAL); }

/* Wait (bounded) until semaphore n of id has count waiters for cmd
 * (GETNCNT or GETZCNT): the other process is blocked in semop. */
static int waiters(int id, int n, int cmd, int count)
{
	for (int i = 0; i < 500; i++) {
		if (semctl(id, n, cmd) == count)
			return 1;
		usleep(10000);
	}
	return 0;
}

static void on_usr1(int sig) { (void)sig; }

/* Two processes hand a turn back and forth 200 times through a set of
 * two semaphores; a shared counter proves they alternated. */
static void test_pingpong(void)
{
	int id = semget(IPC_PRIVATE, 2, 0600), *turns, ok = 1, st;
	pid_t pid;

	turns = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	check("sem/get-private", id >= 0 && semval(id, 0) == 0 && semval(id, 1) == 0,
	      "semget(IPC_PRIVATE, 2) or its zero values");
	if ((pid = fork()) == 0) {
		alarm(20);
		for (int i = 0; i < 200; i++) {
			if (sem_op(id, 1, -1, 0) || turns[0] != 2 * i + 1)
				_exit(1);
			turns[0]++;
			sem_op(id, 0, 1, 0);
		}
		_exit(0);
	}
	for (int i = 0; i < 200 && ok; i++) {
		if (turns[0] != 2 * i)
			ok = 0;
		turns[0]++;
		sem_op(id, 1, 1, 0);
		if (sem_op(id, 0, -1, 0))
			ok = 0;
	}
	st = status_of(pid);
	check("sem/pingpong", ok && exited(st, 0) && turns[0] == 400,
	      "the two processes did not alternate 200 times");
	check("sem/getpid", semctl(id, 1, GETPID) == pid && semctl(id, 0, GETPID) == getpid(),
	      "GETPID: not the last process to operate");
	semctl(id, 0, IPC_RMID);
}

static void test_sem_ops(void)
{
	int id = semget(IPC_PRIVATE, 3, 0600);
	unsigned short all[3] = { 5, 0, 7 }, got[3] = { 0 };
	struct sembuf two[2] = { { 0, -1, IPC_NOWAIT }, { 1, -1, IPC_NOWAIT } };
	struct timespec t = { 0, 50 * 1000000 }, t0, t1;
	struct semid_ds ds;
	int r;

	check("sem/setall-getall",
	      semctl(id, 0, SETALL, all) == 0 && semctl(id, 0, GETALL, got) == 0 && got[0] == 5 &&
	          got[1] == 0 && got[2] == 7,
	      "SETALL then GETALL");
	check("sem/setval-getval", semctl(id, 1, SETVAL, 3) == 0 && semval(id, 1) == 3, "SETVAL 3");
	check("sem/setval-erange", semctl(id, 1, SETVAL, 40000) == -1 && errno == ERANGE,
	      "SETVAL above SEMVMX: ERANGE");
	semctl(id, 1, SETVAL, 0);
	r = semop(id, two, 2);
	check("sem/all-or-nothing", r == -1 && errno == EAGAIN && semval(id, 0) == 5,
	      "the second op could not go on, yet the first was applied");
	check("sem/nowait-eagain", sem_op(id, 1, -1, IPC_NOWAIT) == -1 && errno == EAGAIN,
	      "IPC_NOWAIT on a zero semaphore: EAGAIN");
	check("sem/zero-nowait", sem_op(id, 0, 0, IPC_NOWAIT) == -1 && errno == EAGAIN,
	      "waiting for zero on 5 with IPC_NOWAIT: EAGAIN");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct sembuf dec = { 1, -1, 0 };
	r = semtimedop(id, &dec, 1, &t);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	check("sem/timedop-timeout",
	      r == -1 && errno == EAGAIN &&
	          (t1.tv_sec - t0.tv_sec) * 1000000000ll + t1.tv_nsec - t0.tv_nsec >= 40000000,
	      "semtimedop of 50 ms on a zero semaphore: EAGAIN after the timeout");
	check("sem/efbig", sem_op(id, 3, 1, 0) == -1 && errno == EFBIG,
	      "sem_num beyond the set: EFBIG");
	check("sem/op-erange",
	      sem_op(id, 2, 32767, 0) == -1 && errno == ERANGE && semval(id, 2) == 7,
	      "a value above SEMVMX: ERANGE");
	check("sem/stat-otime-unset", semctl(id, 0, IPC_STAT, &ds) == 0 && ds.sem_otime == 0,
	      "sem_otime set before any semop went through");
	sem_op(id, 2, 1, 0);
	check("sem/stat",
	      semctl(id, 0, IPC_STAT, &ds) == 0 && ds.sem_nsems == 3 &&
	          (ds.sem_perm.mode & 0777) == 0600 && ds.sem_otime != 0,
	      "IPC_STAT: nsems, mode or otime");
	ds.sem_perm.mode = 0640;
	check("sem/set",
	      semctl(id, 0, IPC_SET, &ds) == 0 && semctl(id, 0, IPC_STAT, &ds) == 0 &&
	          (ds.sem_perm.mode & 0777) == 0640,
	      "IPC_SET of the mode");
	semctl(id, 0, IPC_RMID);
	check("sem/removed-einval", semval(id, 0) == -1 && errno == EINVAL,
	      "the id after IPC_RMID: EINVAL");
}

/* A blocked semop: counted in semncnt/semzcnt, ended by a signal (EINTR)
 * and by the set's removal (EIDRM). */
static void test_sem_waits(void)
{
	int id = semget(IPC_PRIVATE, 2, 0600), st;
	struct sigaction sa = { .sa_handler = on_usr1 }; /* no SA_RESTART */
	pid_t pid;

	semctl(id, 1, SETVAL, 1);
	if ((pid = fork()) == 0) {
		alarm(20);
		sigaction(SIGUSR1, &sa, NULL);
		_exit(sem_op(id, 0, -1, 0) == -1 && errno == EINTR ? 0 : 1);
	}
	check("sem/ncnt", waiters(id, 0, GETNCNT, 1), "a blocked decrement not in GETNCNT");
	kill(pid, SIGUSR1);
	st = status_of(pid);
	check("sem/signal-eintr", exited(st, 0), "a signal did not end the wait with EINTR");
	check("sem/ncnt-after", semctl(id, 0, GETNCNT) == 0, "GETNCNT still counts the ended wait");
	if ((pid = fork()) == 0) {
		alarm(20);
		_exit(sem_op(id, 1, 0, 0) == -1 && errno == EIDRM ? 0 : 1);
	}
	check("sem/zcnt", waiters(id, 1, GETZCNT, 1), "a wait for zero not in GETZCNT");
	semctl(id, 0, IPC_RMID);
	st = status_of(pid);
	check("sem/rmid-eidrm", exited(st, 0), "the set's removal did not end the wait with EIDRM");
}

/* SEM_UNDO: a child's adjustments are undone when it exits and when it is
 * killed, and a waiter blocked on them goes on. */
static void test_sem_undo(void)
{
	int id = semget(IPC_PRIVATE, 1, 0600), p[2], st;
	char c;
	pid_t pid;

	semctl(id, 0, SETVAL, 1);
	if (pipe(p))
		return;
	if ((pid = fork()) == 0) {
		alarm(20);
		if (sem_op(id, 0, -1, SEM_UNDO))
			_exit(1);
		write(p[1], "x", 1);
		pause();
		_exit(0);
	}
	read(p[0], &c, 1);
	check("sem/undo-taken", semval(id, 0) == 0, "the child's decrement");
	kill(pid, SIGKILL);
	st = status_of(pid);
	check("sem/undo-killed", WIFSIGNALED(st) && semval(id, 0) == 1,
	      "a killed child's SEM_UNDO decrement was not undone");
	if ((pid = fork()) == 0)
		_exit(sem_op(id, 0, 4, SEM_UNDO) || sem_op(id, 0, -2, SEM_UNDO) ? 1 : 0);
	st = status_of(pid);
	check("sem/undo-exit", exited(st, 0) && semval(id, 0) == 1,
	      "an exited child's SEM_UNDO changes were not undone");
	/* the holder exits: a waiter in another process goes on */
	semctl(id, 0, SETVAL, 1);
	if ((pid = fork()) == 0) {
		alarm(20);
		sem_op(id, 0, -1, SEM_UNDO);
		write(p[1], "x", 1);
		usleep(100000);
		_exit(0);
	}
	read(p[0], &c, 1);
	alarm(20);
	check("sem/undo-wakes-waiter", sem_op(id, 0, -1, 0) == 0,
	      "the wait for the exiting holder's semaphore failed");
	alarm(0);
	status_of(pid);
	semctl(id, 0, SETVAL, 0); /* SETVAL drops the adjustments */
	if ((pid = fork()) == 0)
		_exit(sem_op(id, 0, 2, SEM_UNDO) || semctl(id, 0, SETVAL, 5) ? 1 : 0);
	st = status_of(pid);
	check("sem/setval-clears-undo", exited(st, 0) && semval(id, 0) == 5,
	      "SETVAL did not clear the child's adjustment");
	/* one call's ops on one semaphore add up their adjustments: past
	 * -SEMAEM - 1 is ERANGE and nothing changes; down to it is fine */
	semctl(id, 0, SETVAL, 0);
	if ((pid = fork()) == 0) {
		struct sembuf over[3] = { { 0, 20000, SEM_UNDO },
			                  { 0, -20000, 0 },
			                  { 0, 20000, SEM_UNDO } };
		struct sembuf edge[3] = { { 0, 32767, SEM_UNDO },
			                  { 0, -1, 0 },
			                  { 0, 1, SEM_UNDO } };
		int r = 0;
		if (semop(id, over, 3) != -1 || errno != ERANGE || semval(id, 0) != 0)
			r |= 1;
		if (semop(id, edge, 3) != 0 || semval(id, 0) != 32767)
			r |= 2;
		_exit(r);
	}
	st = status_of(pid);
	check("sem/undo-range-adds-up", exited(st, 0) || (WIFEXITED(st) && !(WEXITSTATUS(st) & 1)),
	      "adjustments of one call past -32768 in all were not ERANGE");
	check("sem/undo-range-edge", exited(st, 0) || (WIFEXITED(st) && !(WEXITSTATUS(st) & 2)),
	      "adjustments of one call down to -32768 were refused");
	check("sem/undo-range-undone", semval(id, 0) == 0,
	      "the child's adjustment of -32768 did not bring 32767 back to 0");
	semctl(id, 0, IPC_RMID);
	close(p[0]);
	close(p[1]);
}

static void test_sem_keys(void)
{
	key_t key = 0x75b3a2;
	struct seminfo in;
	int id, st;
	pid_t pid = -1;

	semctl(semget(key, 0, 0), 0, IPC_RMID); /* (a previous run's) */
	id = semget(key, 4, IPC_CREAT | IPC_EXCL | 0600);
	check("sem/key-create", id >= 0, "semget of a new key");
	check("sem/key-exists",
	      semget(key, 4, IPC_CREAT | IPC_EXCL | 0600) == -1 && errno == EEXIST,
	      "IPC_CREAT|IPC_EXCL of an existing key: EEXIST");
	check("sem/key-found", semget(key, 2, 0) == id, "semget of the key with fewer semaphores");
	check("sem/key-too-many", semget(key, 5, 0) == -1 && errno == EINVAL,
	      "more semaphores than the set has: EINVAL");
	check("sem/nsems-zero", semget(IPC_PRIVATE, 0, 0600) == -1 && errno == EINVAL,
	      "a new set of no semaphores: EINVAL");
	check("sem/info",
	      semctl(0, 0, IPC_INFO, &in) >= 0 && in.semmsl == 32000 && in.semopm == 500 &&
	          in.semvmx == 32767 && in.semmni == 32000,
	      "IPC_INFO: Linux's defaults");
	if (getuid() == 0)
		pid = fork();
	if (pid == 0) {
		if (setuid(1000))
			_exit(2);
		_exit(semget(key, 1, 0600) == -1 && errno == EACCES &&
		              semctl(id, 0, GETVAL) == -1 && errno == EACCES &&
		              semctl(id, 0, IPC_RMID) == -1 && errno == EPERM
		          ? 0
		          : 1);
	} else if (pid > 0) {
		st = status_of(pid);
		check("sem/perm", exited(st, 0), "another user reached a 0600 set");
	}
	semctl(id, 0, IPC_RMID);
	check("sem/key-removed", semget(key, 0, 0) == -1 && errno == ENOENT,
	      "the key after IPC_RMID: ENOENT");
}

struct m {
	long type;
	char text[64];
};

static int snd(int q, long type, const char *s, int flags)
{
	struct m m = { type, { 0 } };

	strncpy(m.text, s, sizeof(m.text) - 1);
	return msgsnd(q, &m, strlen(s) + 1, flags);
}

/* msgrcv's text, or "" */
static const char *rcv(int q, long type, int flags)
{
	static struct m m;

	memset(&m, 0, sizeof(m));
	return msgrcv(q, &m, sizeof(m.text), type, flags) >= 0 ? m.text : "";
}

static void test_msg_order(void)
{
	int q = msgget(IPC_PRIVATE, 0600);
	struct msqid_ds ds;
	struct msginfo in;
	struct m big = { 1, { 0 } };

	check("msg/get", q >= 0, "msgget(IPC_PRIVATE)");
	snd(q, 3, "three", 0);
	snd(q, 1, "one", 0);
	snd(q, 2, "two", 0);
	snd(q, 1, "one-b", 0);
	check("msg/stat",
	      msgctl(q, IPC_STAT, &ds) == 0 && ds.msg_qnum == 4 && ds.msg_cbytes == 6 + 4 + 4 + 6 &&
	          ds.msg_qbytes == 16384 && ds.msg_lspid == getpid(),
	      "IPC_STAT: qnum, cbytes, qbytes or lspid");
	check("msg/type-positive", !strcmp(rcv(q, 2, IPC_NOWAIT), "two"), "msgtyp 2");
	check("msg/type-negative", !strcmp(rcv(q, -2, IPC_NOWAIT), "one"),
	      "msgtyp -2: the first of the lowest type");
	check("msg/except", !strcmp(rcv(q, 1, IPC_NOWAIT | MSG_EXCEPT), "three"),
	      "MSG_EXCEPT 1: the first of another type");
	check("msg/type-zero", !strcmp(rcv(q, 0, IPC_NOWAIT), "one-b"), "msgtyp 0: the first");
	snd(q, 9, "nine", 0);
	check("msg/type-long-min", !strcmp(rcv(q, LONG_MIN, IPC_NOWAIT), "nine"),
	      "msgtyp LONG_MIN: any type (the lowest up to LONG_MAX)");
	check("msg/nowait-enomsg", msgrcv(q, &big, 64, 0, IPC_NOWAIT) == -1 && errno == ENOMSG,
	      "an empty queue with IPC_NOWAIT: ENOMSG");
	snd(q, 5, "a long message", 0);
	check("msg/e2big", msgrcv(q, &big, 4, 0, IPC_NOWAIT) == -1 && errno == E2BIG,
	      "a message longer than the buffer: E2BIG");
	check("msg/noerror",
	      msgrcv(q, &big, 4, 0, IPC_NOWAIT | MSG_NOERROR) == 4 &&
	          !memcmp(big.text, "a lo", 4) && big.type == 5,
	      "MSG_NOERROR: the message cut to the buffer");
	check("msg/type-invalid", snd(q, 0, "x", IPC_NOWAIT) == -1 && errno == EINVAL,
	      "mtype 0: EINVAL");
	check("msg/too-big", msgsnd(q, &big, 8193, IPC_NOWAIT) == -1 && errno == EINVAL,
	      "a message above MSGMAX: EINVAL");
	msgctl(q, IPC_STAT, &ds);
	ds.msg_qbytes = 20;
	check("msg/set-qbytes", msgctl(q, IPC_SET, &ds) == 0, "IPC_SET of msg_qbytes");
	check("msg/full-eagain",
	      snd(q, 1, "0123456789", IPC_NOWAIT) == 0 &&
	          snd(q, 1, "0123456789", IPC_NOWAIT) == -1 && errno == EAGAIN,
	      "a full queue with IPC_NOWAIT: EAGAIN");
	check("msg/info",
	      msgctl(0, IPC_INFO, (struct msqid_ds *)&in) >= 0 && in.msgmax == 8192 &&
	          in.msgmnb == 16384 && in.msgmni == 32000,
	      "IPC_INFO: Linux's defaults");
	msgctl(q, IPC_RMID, NULL);
	check("msg/removed-einval", msgsnd(q, &big, 1, 0) == -1 && errno == EINVAL,
	      "the id after IPC_RMID: EINVAL");
}

/* Receivers in another process: woken by a sender, by a full queue
 * emptied, and by the queue's removal. */
static void test_msg_procs(void)
{
	int q = msgget(IPC_PRIVATE, 0600), st;
	struct msqid_ds ds;
	pid_t pid;

	if ((pid = fork()) == 0) {
		alarm(20);
		int ok = !strcmp(rcv(q, 7, 0), "for seven");
		ok = ok && snd(q, 8, "reply", 0) == 0;
		_exit(ok ? 0 : 1);
	}
	usleep(50000);
	snd(q, 6, "not for it", 0);
	snd(q, 7, "for seven", 0);
	alarm(20);
	check("msg/reply", !strcmp(rcv(q, 8, 0), "reply"), "no reply from the child");
	alarm(0);
	st = status_of(pid);
	check("msg/child-received-by-type", exited(st, 0), "the child's msgrcv by type");
	check("msg/lrpid",
	      msgctl(q, IPC_STAT, &ds) == 0 && ds.msg_lrpid == getpid() && ds.msg_qnum == 1,
	      "IPC_STAT after: lrpid or qnum");
	ds.msg_qbytes = 16;
	msgctl(q, IPC_SET, &ds);
	if ((pid = fork()) == 0) {
		alarm(20);
		_exit(snd(q, 1, "0123456789", 0) == 0 ? 0 : 1); /* waits for room */
	}
	usleep(100000);
	check("msg/sender-waits", waitpid(pid, &st, WNOHANG) == 0,
	      "a sender to a full queue went on");
	rcv(q, 6, 0);
	st = status_of(pid);
	check("msg/sender-woken", exited(st, 0), "the sender was not woken by the room made");
	if ((pid = fork()) == 0) {
		alarm(20);
		struct m m;
		_exit(msgrcv(q, &m, 64, 99, 0) == -1 && errno == EIDRM ? 0 : 1);
	}
	usleep(100000);
	msgctl(q, IPC_RMID, NULL);
	st = status_of(pid);
	check("msg/rmid-eidrm", exited(st, 0),
	      "the queue's removal did not end the wait with EIDRM");
}

int main(void)
{
	alarm(120); /* a lost wake fails the run instead of hanging it */
	test_pingpong();
	test_sem_ops();
	test_sem_waits();
	test_sem_undo();
	test_sem_keys();
	test_msg_order();
	test_msg_procs();
	return check_done();
}
