// The Java program of the real-program tests (tests/e2e/kvm/real.sh), run
// by Debian's openjdk-17-jre-headless: a line computed by the JVM (the
// interpreter and JIT, the collector, a thread), then exit status 0. The
// test compares the line with the same JVM's on the host.
public class Hello {
    public static void main(String[] args) throws Exception {
        long[] sum = new long[1];
        Thread t = new Thread(() -> {
            for (int i = 0; i < 1000000; i++) {
                sum[0] += (long) i * i % 7;
            }
        });
        t.start();
        t.join();
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 100000; i++) {
            sb.append(i % 10);
        }
        System.out.println("hello from java " + Runtime.version().feature() + ": " + sum[0] + " "
            + sb.toString().hashCode());
    }
}
