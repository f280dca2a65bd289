package dev.jobexec.execution;

/**
 * What a job wrote to one stream: the kept text (head and tail when truncated), the total
 * byte count, and whether anything was dropped.
 */
public record CapturedOutput(String text, long bytes, boolean truncated) {

	public static final CapturedOutput EMPTY = new CapturedOutput("", 0, false);

}
