// Applies the local broker's SCRAM users and ACLs through Kafka's Admin API (run by deploy/local/lib/kafka.sh with
// `java -cp <kafka jars> KafkaAuth.java BOOTSTRAP < spec`, Java's single-file launcher; kafka_users.py writes the
// spec from deploy/k8s/base/kafka/users.yaml). aiokafka has neither API: its CreateAcls versions are older than
// Kafka 4 accepts, and it has no AlterUserScramCredentials.
//
// Spec, one item a line:
//   user NAME PASSWORD                      a SCRAM-SHA-512 credential (upserted: a changed password replaces the old)
//   acl NAME topic|group RESOURCE OPERATION an ALLOW ACL for User:NAME on a literal resource, from any host
// Every user named in the spec ends with exactly its listed ACLs: ones no longer listed are deleted.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

public class KafkaAuth {
    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: java KafkaAuth.java BOOTSTRAP < spec");
            System.exit(2);
        }
        List<UserScramCredentialAlteration> users = new ArrayList<>();
        Set<String> principals = new HashSet<>();
        Set<AclBinding> wanted = new HashSet<>();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 3 && f[0].equals("user")) {
                users.add(new UserScramCredentialUpsertion(
                        f[1], new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192), f[2]));
                principals.add("User:" + f[1]);
            } else if (f.length == 5 && f[0].equals("acl")) {
                ResourceType type = ResourceType.fromString(f[2].toUpperCase(Locale.ROOT));
                AclOperation op = AclOperation.fromString(f[4].toUpperCase(Locale.ROOT));
                if (type == ResourceType.UNKNOWN || op == AclOperation.UNKNOWN) {
                    throw new IllegalArgumentException("bad acl line: " + line);
                }
                wanted.add(new AclBinding(new ResourcePattern(type, f[3], PatternType.LITERAL),
                        new AccessControlEntry("User:" + f[1], "*", op, AclPermissionType.ALLOW)));
            } else if (!line.isBlank()) {
                throw new IllegalArgumentException("bad spec line: " + line);
            }
        }
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
        try (Admin admin = Admin.create(props)) {
            admin.alterUserScramCredentials(users).all().get(60, TimeUnit.SECONDS);
            List<AclBinding> stale = new ArrayList<>();
            for (AclBinding have : admin.describeAcls(AclBindingFilter.ANY).values().get(60, TimeUnit.SECONDS)) {
                if (principals.contains(have.entry().principal()) && !wanted.contains(have)) {
                    stale.add(have);
                }
            }
            if (!stale.isEmpty()) {
                List<AclBindingFilter> filters = new ArrayList<>();
                for (AclBinding binding : stale) {
                    filters.add(binding.toFilter());
                }
                admin.deleteAcls(filters).all().get(60, TimeUnit.SECONDS);
            }
            admin.createAcls(wanted).all().get(60, TimeUnit.SECONDS);
            System.out.printf("kafka: %d SCRAM users, %d ACLs (%d stale removed)%n",
                    users.size(), wanted.size(), stale.size());
        }
    }
}
