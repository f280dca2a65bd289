import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Baseline for bench/run.sh: N runs of a command (default /bin/true) with ProcessBuilder at concurrency C,
 * each started and waited for by one of C platform threads, with the usual stdin/stdout/stderr pipes (as a
 * service that captures output has them). Warms up with min(N, 50) runs first.
 * Usage: java SpawnBaseline.java N C [command ...]   Prints "jobs=N seconds=S jobs_per_s=R".
 */
public class SpawnBaseline {

	public static void main(String[] args) throws Exception {
		int n = Integer.parseInt(args[0]);
		int concurrency = Integer.parseInt(args[1]);
		List<String> command = (args.length > 2) ? List.of(args).subList(2, args.length) : List.of("/bin/true");
		run(Math.min(n, 50), concurrency, command);
		long start = System.nanoTime();
		run(n, concurrency, command);
		double seconds = (System.nanoTime() - start) / 1e9;
		System.out.printf("jobs=%d seconds=%.3f jobs_per_s=%.1f%n", n, seconds, n / seconds);
	}

	static void run(int n, int concurrency, List<String> command) throws Exception {
		AtomicInteger next = new AtomicInteger();
		try (ExecutorService threads = Executors.newFixedThreadPool(concurrency)) {
			List<Future<?>> futures = new ArrayList<>();
			for (int t = 0; t < concurrency; t++) {
				futures.add(threads.submit(() -> {
					while (next.getAndIncrement() < n) {
						Process process = new ProcessBuilder(command).start();
						process.getOutputStream().close();
						process.getInputStream().readAllBytes();
						process.getErrorStream().readAllBytes();
						if (process.waitFor() != 0) {
							throw new IllegalStateException(command + " exited with " + process.exitValue());
						}
					}
					return null;
				}));
			}
			for (Future<?> future : futures) {
				future.get();
			}
		}
	}

}
