package dev.jobexec.support;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.springframework.boot.micrometer.metrics.test.autoconfigure.AutoConfigureMetrics;
import org.springframework.boot.resttestclient.autoconfigure.AutoConfigureRestTestClient;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Import;

/**
 * The whole service on a random port, reached over real HTTP. Every test class uses the
 * same properties so that they share one application context; the build gives each run
 * its own {@code jobexec.data-dir}. The {@code pair} process pool runs its jobs without a
 * cgroup each ({@code isolation=off}), the others with one where the machine allows. The
 * {@code retrying} thread pool retries its jobs (three attempts, 0.1 s apart, then 0.2
 * s).
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
		"jobexec.security.api-keys=" + Api.KEY + "," + Api.ROTATED_KEY, "jobexec.pools.process.max-concurrency=4",
		"jobexec.pools.process.kill-grace=1s", "jobexec.pools.thread.kill-grace=1s", NarrowPool.TYPE,
		NarrowPool.ONE_AT_A_TIME, NarrowPool.QUEUE_CAPACITY + 1, "jobexec.pools.narrow.kill-grace=1s",
		"jobexec.pools.pair.type=process", "jobexec.pools.pair.max-concurrency=2",
		"jobexec.pools.pair.queue-capacity=20", "jobexec.pools.pair.kill-grace=1s", "jobexec.pools.pair.isolation=off",
		"jobexec.pools.single-thread.type=thread", "jobexec.pools.single-thread.max-concurrency=1",
		"jobexec.pools.single-thread.queue-capacity=1", "jobexec.pools.single-thread.kill-grace=1s",
		"jobexec.pools.patient.type=thread", "jobexec.pools.patient.kill-grace=3s",
		"jobexec.pools.retrying.type=thread", "jobexec.pools.retrying.retry.backoff=100ms",
		"jobexec.shutdown.drain-timeout=5s", "jobexec.reaper.interval=200ms", "jobexec.reaper.kill-grace=1s",
		"jobexec.limits.max-request-size=512KB", "jobexec.limits.max-stdin=128KB", "jobexec.limits.max-arguments=64",
		"jobexec.limits.max-env-entries=8", "jobexec.limits.max-labels=8", "jobexec.process.limits.open-files=512" })
@AutoConfigureRestTestClient
@AutoConfigureMetrics
@Import(Api.class)
public @interface JobexecHttpTest {

}
