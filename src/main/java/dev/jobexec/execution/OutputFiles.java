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

	/** Where {@code stream} of job {@code jobId} is kept. */
	public Path path(String jobId, String stream) {
		if (!STREAMS.contains(stream) || !jobId.matches("[0-9a-fA-F-]{1,64}")) {
			throw new IllegalArgumentException("no output file for " + jobId + " " + stream);
		}
		return dir.resolve(jobId + "." + stream);
	}

	/** The file of {@code stream} of job {@code jobId}, if this node keeps one. */
	public Optional<Path> find(String jobId, String stream) {
		Path path = path(jobId, stream);
		return Files.isRegularFile(path) ? Optional.of(path) : Optional.empty();
	}

	/**
	 * The file is being written from now until {@link #written}: never swept meanwhile.
	 */
	public void writing(String jobId, String stream) {
		writing.add(path(jobId, stream).getFileName().toString());
	}

	/**
	 * Deletes the file of {@code stream} of job {@code jobId}, if there is one (an
	 * earlier attempt's, when the job starts again).
	 */
	public void discard(String jobId, String stream) {
		try {
			Files.deleteIfExists(path(jobId, stream));
		}
		catch (IOException ex) {
			log.warn("Could not delete the output file of an earlier attempt of job {}: {}", jobId, ex.toString());
		}
	}

	public void written(String jobId, String stream) {
		writing.remove(path(jobId, stream).getFileName().toString());
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
