package dev.jobexec.execution.process;

import java.nio.charset.StandardCharsets;

import dev.jobexec.execution.CapturedOutput;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class OutputCaptureTests {

	@Test
	void keepsEverythingUnderTheLimit() {
		OutputCapture capture = new OutputCapture(100);
		write(capture, "hello ");
		write(capture, "world");
		assertThat(capture.snapshot()).isEqualTo(new CapturedOutput("hello world", 11, false));
	}

	@Test
	void keepsHeadAndTailAndCountsWhatItDrops() {
		OutputCapture capture = new OutputCapture(10);
		for (char c = 'a'; c <= 'z'; c++) {
			write(capture, String.valueOf(c));
		}
		CapturedOutput output = capture.snapshot();
		assertThat(output.bytes()).isEqualTo(26);
		assertThat(output.truncated()).isTrue();
		assertThat(output.text()).isEqualTo("abcde\n[... 16 bytes omitted ...]\nvwxyz");
	}

	@Test
	void largeWritesWrapTheTailCorrectly() {
		OutputCapture capture = new OutputCapture(8);
		write(capture, "0123");
		write(capture, "456789ABCDEFGHIJ");
		write(capture, "KL");
		CapturedOutput output = capture.snapshot();
		assertThat(output.text()).isEqualTo("0123\n[... 14 bytes omitted ...]\nIJKL");
		assertThat(output.bytes()).isEqualTo(22);
	}

	@Test
	void tailThatHasNotWrappedIsKeptInOrder() {
		OutputCapture capture = new OutputCapture(8);
		write(capture, "012345");
		assertThat(capture.snapshot()).isEqualTo(new CapturedOutput("012345", 6, false));
	}

	@Test
	void keepsAStreamWrittenInReadSizedPartsWholeWhenItFits() {
		OutputCapture capture = new OutputCapture(1 << 20);
		byte[] bytes = "x".repeat(100_000).getBytes(StandardCharsets.UTF_8);
		for (int offset = 0; offset < bytes.length; offset += 16 * 1024) {
			capture.write(bytes, offset, Math.min(16 * 1024, bytes.length - offset));
		}
		assertThat(capture.snapshot().bytes()).isEqualTo(100_000);
		assertThat(capture.snapshot().truncated()).isFalse();
	}

	@Test
	void zeroLimitCountsButKeepsNothing() {
		OutputCapture capture = new OutputCapture(0);
		write(capture, "abc");
		assertThat(capture.snapshot()).isEqualTo(new CapturedOutput("\n[... 3 bytes omitted ...]\n", 3, true));
	}

	private static void write(OutputCapture capture, String text) {
		byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
		capture.write(bytes, 0, bytes.length);
	}

}
