package dev.portcullis.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import dev.portcullis.testing.Processes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.ImageFromDockerfile;
import org.testcontainers.junit.jupiter.Testcontainers;

/**
 * Builds deploy/Dockerfile (which trains the image's AOT cache) and runs a transfer through the
 * container (its demo backend) with curl.
 * Needs a Docker engine: skipped, with Testcontainers' message, where none runs (as on the
 * project's build machines).
 */
@Testcontainers(disabledWithoutDocker = true)
class ContainerImageIT {

    @Test
    void imageBuildsRunsAsNonRootAndRelaysATransfer() throws Exception {
        ImageFromDockerfile image = new ImageFromDockerfile("portcullis-test", true)
                .withFileFromPath("pom.xml", Path.of("pom.xml"))
                .withFileFromPath("src", Path.of("src"))
                .withFileFromPath("Dockerfile", Path.of("deploy", "Dockerfile"));
        List<PortBinding> bindings = new ArrayList<>();
        bindings.add(new PortBinding(Ports.Binding.bindIpAndPort("127.0.0.1", 32121), new ExposedPort(2121)));
        for (int p = 32000; p <= 32009; p++) {
            // Passive ports map one to one, so the port in a 229 reply is the port the host exposes.
            bindings.add(new PortBinding(Ports.Binding.bindIpAndPort("127.0.0.1", p), new ExposedPort(p)));
        }
        try (GenericContainer<?> proxy = new GenericContainer<>(image)
                .withCommand("--listen", "0.0.0.0:2121", "--passive-ports", "32000-32009", "--admin-listen", "0.0.0.0:9121")
                .withExposedPorts(2121, 9121)
                .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig().withPortBindings(bindings))
                .waitingFor(Wait.forHttp("/readyz").forPort(9121).withStartupTimeout(Duration.ofMinutes(2)))) {
            proxy.start();
            assertThat(proxy.execInContainer("id", "-u").getStdout().strip()).isEqualTo("10001");
            Processes.Result r = Processes.run(List.of("curl", "-sS", "--max-time", "30", "ftp://127.0.0.1:32121/welcome.txt"), 40);
            assertThat(r.exitCode()).as(r.stderr()).isZero();
            assertThat(r.out()).contains("Hello from the Portcullis demo backend.");
            // The AOT cache trained at image build is mapped: a refused one is a warning, then a start without it.
            assertThat(proxy.getLogs()).doesNotContainPattern("(?i)\\[(warning|error)\\]\\[(aot|cds)\\]");
        }
    }
}
