// Java's own HTTP server (com.sun.net.httpserver, the jdk.httpserver
// module of Debian's openjdk-17-jre-headless) serving /srv/www, for the
// real-program tests (tests/e2e/kvm/real.sh): the JVM's NIO needs an
// AF_UNIX socketpair at start (its descriptor pre-close), an epoll
// selector, and threads answering connections.
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Executors;

public class WebServer {
    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 8080;
        Path root = Path.of("/srv/www");
        HttpServer server = HttpServer.create(new InetSocketAddress(port), 128);
        server.createContext("/", ex -> {
            String p = ex.getRequestURI().getPath();
            Path f = root.resolve(p.equals("/") ? "index.html" : p.substring(1)).normalize();
            ex.getRequestBody().readAllBytes();
            if (!f.startsWith(root) || !Files.isRegularFile(f)) {
                ex.sendResponseHeaders(404, -1);
                ex.close();
                return;
            }
            byte[] body = Files.readAllBytes(f);
            ex.sendResponseHeaders(200, body.length);
            try (var out = ex.getResponseBody()) {
                out.write(body);
            }
        });
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.start();
        System.out.println("java WebServer listening on " + port);
    }
}
