package dev.jobexec.execution;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

import lombok.extern.slf4j.Slf4j;

import org.springframework.util.unit.DataSize;

/**
 * Where process jobs' output is kept whole: {@code
 *
<dir>
 * /<job id>.stdout} and {@code .stderr}, each up to
 * {@code jobexec.process.max-output-file}. The store's retention sweep deletes them with
 * their jobs ({@link #sweep}).
 */
@Slf4j
public class OutputFiles {

	/** The streams that have files. */
	public static final Set<String> STREAMS = Set.of("stdout", "stderr");

	private final Path dir;

	private final long limit;

	/** The names of the files being written: never swept. */
	private final Set<String> writing = ConcurrentHashMap.newKeySet();

	public OutputFiles(Path dir, DataSize limit) {
		this.dir = dir.toAbsolutePath().normalize();
		this.limit = limit.toBytes();
	}

	/** Whether output is kept in files at all ({@code max-output-file} above 0). */
	public boolean enabled() {
		return limit > 0;
	}

	/** The most bytes of one stream a file keeps. */
	public long limit() {
		return limit;
	}

	/**
	 * Where {@code stream} of attempt {@code attempt} of job {@code jobId} is kept:
	 * {@code <id>.<stream>} for the first, {@code <id>.<attempt>.<stream>} for a later
	 * one (a retry), so that an earlier attempt's file is never taken for a later one's.
	 */
	public Path path(String jobId, int attempt, String stream) {
		if (!STREAMS.contains(stream) || !jobId.matches("[0-9a-fA-F-]{1,64}") || attempt < 1) {
			throw new IllegalArgumentException("no output file for " + jobId + " " + attempt + " " + stream);
		}
		return dir.resolve(jobId + ((attempt > 1) ? "." + attempt : "") + "." + stream);
	}

	/**
	 * The file of {@code stream} of attempt {@code attempt} of job {@code jobId}, if kept
	 * here.
	 */
	public Optional<Path> find(String jobId, int attempt, String stream) {
		if (attempt < 1) {
			return Optional.empty();
		}
		Path path = path(jobId, attempt, stream);
		return Files.isRegularFile(path) ? Optional.of(path) : Optional.empty();
	}

	/**
	 * The file is being written from now until {@link #written}: never swept meanwhile.
	 */
	public void writing(Path file) {
		writing.add(file.getFileName().toString());
	}

	/**
	 * Deletes a file an earlier attempt of a job left (its next attempt starts here).
	 */
	public void discard(Path file) {
		try {
			Files.deleteIfExists(file);
		}
		catch (IOException ex) {
			log.warn("Could not delete the output file of an earlier attempt, {}: {}", file, ex.toString());
		}
	}

	public void written(Path file) {
		writing.remove(file.getFileName().toString());
	}

	/**
	 * Deletes the files not changed since {@code cutoff}, the time before which the store
	 * deletes finished jobs: a file last changed when its job stopped writing, at its end
	 * at the latest. Returns how many.
	 */
	public int sweep(Instant cutoff) {
		if (!Files.isDirectory(dir)) {
			return 0;
		}
		int deleted = 0;
		try (Stream<Path> files = Files.list(dir)) {
			for (Path file : (Iterable<Path>) files::iterator) {
				try {
					if (!writing.contains(file.getFileName().toString())
							&& Files.getLastModifiedTime(file).toInstant().isBefore(cutoff)) {
						Files.deleteIfExists(file);
						deleted++;
					}
				}
				catch (IOException ex) {
					log.debug("Sweeping {}: {}", file, ex.toString());
				}
			}
		}
		catch (IOException ex) {
			log.warn("Could not sweep the output files in {}: {}", dir, ex.toString());
		}
		return deleted;
	}

}
