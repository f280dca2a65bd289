package dev.jobexec;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

@SpringBootApplication
public class JobexecApplication {

	public static void main(String[] args) {
		SpringApplication.run(JobexecApplication.class, args);
	}

}
