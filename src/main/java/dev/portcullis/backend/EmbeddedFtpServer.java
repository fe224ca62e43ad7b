package dev.portcullis.backend;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.ftpserver.ConnectionConfigFactory;
import org.apache.ftpserver.DataConnectionConfigurationFactory;
import org.apache.ftpserver.FtpServer;
import org.apache.ftpserver.FtpServerFactory;
import org.apache.ftpserver.ftplet.Authority;
import org.apache.ftpserver.ftplet.FtpException;
import org.apache.ftpserver.ftplet.UserManager;
import org.apache.ftpserver.listener.Listener;
import org.apache.ftpserver.listener.ListenerFactory;
import org.apache.ftpserver.usermanager.PropertiesUserManagerFactory;
import org.apache.ftpserver.usermanager.impl.BaseUser;
import org.apache.ftpserver.usermanager.impl.ConcurrentLoginPermission;
import org.apache.ftpserver.usermanager.impl.TransferRatePermission;
import org.apache.ftpserver.usermanager.impl.WritePermission;

/**
 * An Apache FtpServer on loopback: the demo backend when none is configured, and the hermetic
 * in-JVM backend of the tests. Users live in memory only.
 */
public final class EmbeddedFtpServer implements AutoCloseable {

    /** One account; {@code anonymous} accepts any password. */
    public record Account(String name, String password, boolean writable) {
    }

    private final FtpServer server;
    private final int port;

    private EmbeddedFtpServer(FtpServer server, int port) {
        this.server = server;
        this.port = port;
    }

    public static EmbeddedFtpServer start(String host, int port, Path root, List<Account> accounts) throws IOException {
        return start(host, port, root, accounts, null);
    }

    /**
     * @param tlsKeystore a PKCS#12 file (password "changeit") to offer FTPS (explicit, AUTH TLS), or null.
     *                    No implicit mode: MINA's SslFilter can send a greeting before its handshake ends;
     *                    the tests put a TLS front before an explicit listener instead.
     */
    public static EmbeddedFtpServer start(String host, int port, Path root, List<Account> accounts, Path tlsKeystore) throws IOException {
        FtpServerFactory factory = new FtpServerFactory();
        ListenerFactory listener = new ListenerFactory();
        if (tlsKeystore != null) {
            org.apache.ftpserver.ssl.SslConfigurationFactory ssl = new org.apache.ftpserver.ssl.SslConfigurationFactory();
            ssl.setKeystoreFile(tlsKeystore.toFile());
            ssl.setKeystoreType("PKCS12");
            ssl.setKeystorePassword("changeit");
            ssl.setKeyPassword("changeit");
            ssl.setSslProtocol("TLSv1.2");
            listener.setSslConfiguration(ssl.createSslConfiguration());
        }
        listener.setServerAddress(host);
        listener.setPort(port);
        DataConnectionConfigurationFactory data = new DataConnectionConfigurationFactory();
        data.setPassiveAddress(host);
        data.setPassiveExternalAddress(host);
        data.setActiveEnabled(true);
        data.setActiveIpCheck(true);
        if (tlsKeystore != null) {
            data.setSslConfiguration(listener.getSslConfiguration());
        }
        listener.setDataConnectionConfiguration(data.createDataConnectionConfiguration());
        listener.setIdleTimeout(600);
        factory.addListener("default", listener.createListener());

        ConnectionConfigFactory connections = new ConnectionConfigFactory();
        connections.setAnonymousLoginEnabled(accounts.stream().anyMatch(a -> a.name().equals("anonymous")));
        connections.setMaxLogins(10_000);
        connections.setMaxAnonymousLogins(10_000);
        connections.setMaxLoginFailures(100);
        connections.setLoginFailureDelay(0);
        factory.setConnectionConfig(connections.createConnectionConfig());

        UserManager users = new PropertiesUserManagerFactory().createUserManager();
        try {
            for (Account a : accounts) {
                BaseUser u = new BaseUser();
                u.setName(a.name());
                u.setPassword(a.password());
                u.setHomeDirectory(root.toAbsolutePath().toString());
                u.setMaxIdleTime(600);
                List<Authority> authorities = new ArrayList<>();
                authorities.add(new ConcurrentLoginPermission(0, 0));
                authorities.add(new TransferRatePermission(0, 0));
                if (a.writable()) {
                    authorities.add(new WritePermission());
                }
                u.setAuthorities(authorities);
                users.save(u);
            }
            factory.setUserManager(users);
            FtpServer server = factory.createServer();
            server.start();
            Listener started = factory.getListener("default");
            return new EmbeddedFtpServer(server, started.getPort());
        } catch (FtpException e) {
            throw new IOException("embedded FTP server failed to start: " + e.getMessage(), e);
        }
    }

    public int port() {
        return port;
    }

    @Override
    public void close() {
        server.stop();
    }
}
