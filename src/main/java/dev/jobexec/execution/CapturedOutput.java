package dev.jobexec.execution;

/**
 * What a job wrote to one stream: the kept text (head and tail when truncated), the total
 * byte count, and whether anything was dropped from the text; for a process job, also how
 * many bytes from the start are kept whole in its output file, and why keeping them
 * stopped short when it did for another reason than the file's size limit.
 *
 * @param kept bytes of the stream kept in the job's output file, from its first byte;
 * null when the stream has no file (a thread job, or files turned off)
 * @param keptError why the file stopped short of the stream (such as a full disk), or
 * null
 */
public record CapturedOutput(String text, long bytes, boolean truncated, Long kept, String keptError) {

	public static final CapturedOutput EMPTY = new CapturedOutput("", 0, false);

	public CapturedOutput(String text, long bytes, boolean truncated) {
		this(text, bytes, truncated, null, null);
	}

}
